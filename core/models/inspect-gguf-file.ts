import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NotFoundError, ValidationError } from '../errors.ts';
import { fileSha256 } from '../hashing.ts';
import { type GgufSummary, readGgufSummary } from './gguf-summary.ts';

export type InspectedGgufFile = { path: string; sha256: string; summary: GgufSummary };

/**
 * A local GGUF file made ready to register in place (never copied): its absolute path, its sha256
 * (so serving can tell when the file changed under the registry) and what its header says. Refuses
 * a missing path, a folder, and a file that is not GGUF.
 */
export async function inspectGgufFile(path: string): Promise<InspectedGgufFile> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new NotFoundError(`GGUF file ${absolute} not found`);
  if (!info.isFile()) throw new ValidationError(`${absolute} is not a file`);
  const summary = await readGgufSummary(absolute);
  return { path: absolute, sha256: await fileSha256(absolute), summary };
}
