import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { fileSha256 } from '../../hashing.ts';

/**
 * What was pulled, written beside the file (`FILE.pull.json`): a file with no pinned hash is only
 * known to be whole if it still has the size and sha256 it had when it was pulled.
 */
export const PulledFileRecord = z.object({
  /** The reference as pulled, `hf:OWNER/REPO/FILE@REVISION`. */
  reference: z.string().min(1),
  /** The commit the revision pointed at (Hugging Face's `X-Repo-Commit`), when known. */
  commit: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .nullable(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  pulledAt: z.string(),
});
export type PulledFileRecord = z.infer<typeof PulledFileRecord>;

export const recordPathOf = (file: string): string => `${file}.pull.json`;

/**
 * The record of `file` if the file is still what it records (size, then a fresh sha256), else
 * undefined: no record, an unreadable one, or a file changed or cut short since.
 */
export async function readVerifiedRecord(file: string): Promise<PulledFileRecord | undefined> {
  const text = await readFile(recordPathOf(file), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let record: PulledFileRecord;
  try {
    record = PulledFileRecord.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
  const size = await stat(file).then(
    (info) => info.size,
    () => -1,
  );
  if (size !== record.bytes) return undefined;
  return (await fileSha256(file)) === record.sha256 ? record : undefined;
}
