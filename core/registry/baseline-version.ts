import type { ModelRegistry } from '../ports/model-registry.ts';
import type { ModelVersion } from '../types/model-version.ts';
import { parseModelReference } from './model-reference.ts';

/**
 * What a candidate must beat before it first holds an alias: the registered version of the base
 * model it was fine-tuned from (an adapter's base; else `baseModel` as NAME:VERSION, or NAME for
 * its newest version), or null when it has none registered here, in which case the extractive
 * baseline stands in.
 */
export async function baselineVersion(
  registry: ModelRegistry,
  candidate: ModelVersion,
): Promise<ModelVersion | null> {
  // An adapter runs on exactly one base version, whatever baseModel says.
  if (candidate.artifact.kind === 'gguf-adapter')
    return registry.get(candidate.artifact.base.name, candidate.artifact.base.version);
  if (!candidate.baseModel) return null;
  let reference: ReturnType<typeof parseModelReference>;
  try {
    reference = parseModelReference(candidate.baseModel);
  } catch {
    // A base known only to an outside service (an OpenAI model name): nothing here to run.
    return null;
  }
  if ('version' in reference) return registry.get(reference.name, reference.version);
  return newestVersion(registry, reference.name);
}

/** The highest-numbered version of a model, or null when none is registered. */
export async function newestVersion(registry: ModelRegistry, name: string): Promise<ModelVersion | null> {
  // The registry lists a model's versions newest first (the port's contract).
  return (await registry.list(name))[0] ?? null;
}
