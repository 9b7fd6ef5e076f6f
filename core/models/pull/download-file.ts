import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TwinError } from '../../errors.ts';
import { describeFetchFailure } from '../../http/describe-fetch-failure.ts';
import type { ExtractedFile } from './extract-zip-member.ts';

/**
 * Streams a URL (redirects followed, as Hugging Face's `resolve/` URLs need) into `destination`,
 * hashing it on the way. A status other than 200 or a refused connection is an error that says so.
 */
export async function downloadFile(
  url: string,
  destination: string,
  onBytes: (bytes: number) => void = () => {},
): Promise<ExtractedFile> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (error) {
    throw new TwinError(`GET ${url} failed: ${describeFetchFailure(error)}`, { cause: error });
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw new TwinError(`GET ${url} answered ${response.status} ${response.statusText}`.trim());
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(chunksOf(response.body), counting, createWriteStream(destination));
  } catch (error) {
    throw new TwinError(`GET ${url} broke off: ${describeFetchFailure(error)}`, { cause: error });
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The body's chunks as an async iterable, which `pipeline` reads with backpressure. */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
