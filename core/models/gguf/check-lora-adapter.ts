import { ValidationError } from '../../errors.ts';
import { readGgufHeader } from './read-gguf-header.ts';
import { type LoraAdapterInfo, readLoraAdapter } from './read-lora-adapter.ts';

/**
 * Checks that a LoRA adapter file fits a base model file, as llama.cpp will when it loads the
 * adapter, but from the two headers alone (nothing is loaded): the adapter is well-formed
 * (readLoraAdapter), names the base's architecture, and every weight it adapts is in the base with
 * the same [inputs, outputs]. An adapter for another base of the same architecture and sizes fits
 * too: only the base's sha256, recorded when the adapter is registered, tells those apart. Every
 * misfit is listed in one ValidationError; `labels` name the files in errors.
 */
export async function checkLoraAdapter(
  adapterPath: string,
  basePath: string,
  labels: { adapter?: string; base?: string } = {},
): Promise<LoraAdapterInfo> {
  const adapterLabel = labels.adapter ?? adapterPath;
  const baseLabel = labels.base ?? basePath;
  const adapter = await readLoraAdapter(adapterPath, adapterLabel);
  const base = await readGgufHeader(basePath, baseLabel);
  const problems: string[] = [];
  const architecture = base.metadata.get('general.architecture');
  const baseArchitecture = architecture?.type === 'string' ? architecture.value : '(none)';
  if (baseArchitecture !== adapter.architecture)
    problems.push(
      `the adapter is for architecture "${adapter.architecture}", the base is "${baseArchitecture}"`,
    );
  const tensors = new Map(base.tensors.map((tensor) => [tensor.name, tensor.dimensions]));
  for (const pair of adapter.pairs) {
    const dimensions = tensors.get(pair.target);
    if (!dimensions) {
      problems.push(`the base has no ${pair.target}`);
      continue;
    }
    if (dimensions.length !== 2 || dimensions[0] !== pair.inputs || dimensions[1] !== pair.outputs)
      problems.push(
        `${pair.target} is [${dimensions.join(', ')}] in the base, the adapter's pair is for [${pair.inputs}, ${pair.outputs}]`,
      );
  }
  if (problems.length > 0)
    throw new ValidationError(
      `LoRA adapter ${adapterLabel} does not fit base model ${baseLabel} (a wrong base?): ${problems.join('; ')}`,
    );
  return adapter;
}
