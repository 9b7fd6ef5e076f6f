import { readGgufHeader } from './gguf/read-gguf-header.ts';

/** What a GGUF file says about itself; a field the file does not state stays undefined. */
export type GgufSummary = {
  /** `general.license`, as the file's author wrote it (an SPDX id like `apache-2.0`, usually). */
  licence?: string;
  /** Elements of every tensor added up: the model's parameter count, quantised or not. */
  parameters?: number;
};

/**
 * Reads a GGUF file's metadata and tensor list (the header only, never the weights) and refuses a
 * file that is not GGUF, or is cut short (readGgufHeader). `label` names the file in errors (a
 * download's temporary path means nothing to the user).
 */
export async function readGgufSummary(path: string, label = path): Promise<GgufSummary> {
  const header = await readGgufHeader(path, label);
  const summary: GgufSummary = {};
  const licence = header.metadata.get('general.license');
  if (licence?.type === 'string' && licence.value.trim()) summary.licence = licence.value.trim();
  const parameters = header.tensors.reduce((sum, tensor) => sum + tensor.elements, 0);
  if (parameters > 0 && Number.isSafeInteger(parameters)) summary.parameters = parameters;
  return summary;
}
