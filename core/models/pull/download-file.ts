import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TwinError } from '../../errors.ts';
import { describeFetchFailure } from '../../http/describe-fetch-failure.ts';
import type { ExtractedFile } from './extract-zip-member.ts';
import { type OpenDestination, openFileDestination } from './open-destination.ts';

/** A download that failed; `status` is the HTTP status when the server answered. */
export class DownloadError extends TwinError {
  readonly status: number | undefined;
  constructor(message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options);
    this.status = options.status;
  }
}

export type DownloadOptions = {
  /** Bytes of each chunk written, and the size the server announced (Content-Length), if any. */
  onBytes?: (bytes: number, expectedBytes: number | undefined) => void;
  openDestination?: OpenDestination;
};

/**
 * Streams a URL (redirects followed, as Hugging Face's `resolve/` URLs need) into `destination`,
 * hashing it on the way. A status other than 200 or a refused connection is an error that says so.
 */
export async function downloadFile(
  url: string,
  destination: string,
  options: DownloadOptions = {},
): Promise<ExtractedFile> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (error) {
    throw new DownloadError(`GET ${url} failed: ${describeFetchFailure(error)}`, { cause: error });
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw new DownloadError(`GET ${url} answered ${response.status} ${response.statusText}`.trim(), {
      status: response.status,
    });
  }
  const announced = Number(response.headers.get('content-length') ?? Number.NaN);
  const expectedBytes = Number.isSafeInteger(announced) && announced > 0 ? announced : undefined;
  const onBytes = options.onBytes ?? (() => {});
  const hash = createHash('sha256');
  let bytes = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes(chunk.length, expectedBytes);
      done(null, chunk);
    },
  });
  try {
    const open = options.openDestination ?? openFileDestination;
    await pipeline(chunksOf(response.body), counting, open(destination));
  } catch (error) {
    throw new DownloadError(`GET ${url} broke off: ${describeFetchFailure(error)}`, { cause: error });
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
