import { open } from 'node:fs/promises';
import { ValidationError } from '../errors.ts';
import { SequentialReader } from './gguf/sequential-reader.ts';
import { checkGgufHeader } from './gguf-header.ts';

/** What a GGUF file says about itself; a field the file does not state stays undefined. */
export type GgufSummary = {
  /** `general.license`, as the file's author wrote it (an SPDX id like `apache-2.0`, usually). */
  licence?: string;
  /** Elements of every tensor added up: the model's parameter count, quantised or not. */
  parameters?: number;
};

// The GGUF value type of a string.
const stringType = 8;

/**
 * Reads a GGUF file's metadata and tensor list (the header only, never the weights) and refuses a
 * file that is not GGUF. `label` names the file in errors (a download's temporary path means
 * nothing to the user).
 */
export async function readGgufSummary(path: string, label = path): Promise<GgufSummary> {
  const file = await open(path, 'r');
  try {
    const reader = new SequentialReader(file, label);
    const magic = await reader.bytes(4).catch(() => Buffer.alloc(0));
    if (magic.toString('latin1') !== 'GGUF') {
      throw new ValidationError(
        `${label} is not a GGUF file: it starts with ${JSON.stringify(magic.toString('latin1'))}, not "GGUF"`,
      );
    }
    // Refuses counts the file cannot hold before anything below loops over them.
    await checkGgufHeader(path, label);
    await reader.skip(4);
    const tensors = await reader.u64();
    const entries = await reader.u64();
    const summary: GgufSummary = {};
    for (let entry = 0n; entry < entries; entry++) {
      const key = (await reader.string()).toString('utf8');
      const type = await reader.u32();
      if (key === 'general.license' && type === stringType) {
        summary.licence = (await reader.string()).toString('utf8').trim() || undefined;
      } else {
        await reader.skipValue(type);
      }
    }
    let parameters = 0n;
    for (let tensor = 0n; tensor < tensors; tensor++) {
      await reader.skip(Number(await reader.u64()));
      const dimensions = await reader.u32();
      let elements = 1n;
      for (let dimension = 0; dimension < dimensions; dimension++) elements *= await reader.u64();
      parameters += elements;
      await reader.skip(4 + 8);
    }
    if (parameters > 0n && parameters <= BigInt(Number.MAX_SAFE_INTEGER))
      summary.parameters = Number(parameters);
    return summary;
  } finally {
    await file.close();
  }
}
