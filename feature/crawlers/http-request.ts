import { request as httpRequest, type IncomingMessage, STATUS_CODES } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { pipeline, type Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { CrawlError, errorMessage } from '../../core/errors.ts';

/** One HTTP response as it came off the wire; `body` is decoded from gzip/br/deflate. */
export type RawResponse = {
  url: URL;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
};

export type RequestOptions = {
  headers: Record<string, string>;
  /** Covers the whole exchange: connecting, waiting, and reading the body. */
  timeoutMs: number;
  /** Largest decoded body accepted; the stream is cut as soon as it grows past it. */
  maxBytes: number;
  lookup: LookupFunction;
  signal?: AbortSignal;
};

/** A status whose body nobody reads: redirects and errors are decided on status and headers. */
function skipsBody(status: number): boolean {
  return (status >= 300 && status < 400) || status >= 400;
}

/**
 * Sends one GET and reads the response. Network failures and timeouts become retryable
 * `CrawlError`s; a body over the limit or that cannot be decoded does not.
 */
export function requestOnce(url: URL, options: RequestOptions): Promise<RawResponse> {
  options.signal?.throwIfAborted();
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, response?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (response) resolve(response);
      else reject(error);
    };
    const fail = (error: unknown) => {
      finish(error);
      request.destroy();
    };
    const request = send(url, {
      method: 'GET',
      headers: options.headers,
      lookup: options.lookup,
      // A fresh connection per request: sockets reused from a pool would skip the connect-time
      // address check, and a crawler gains little from keep-alive across polite delays.
      agent: false,
    });
    const timer = setTimeout(
      () => fail(new CrawlError(url.href, `timed out after ${options.timeoutMs} ms`, { retryable: true })),
      options.timeoutMs,
    );
    const onAbort = () => fail(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    request.on('error', (error) => finish(asCrawlError(url, error)));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const headers = flattenHeaders(response);
      if (skipsBody(status)) {
        response.destroy();
        finish(null, { url, status, headers, body: Buffer.alloc(0) });
        return;
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        fail(tooLarge(url, options.maxBytes));
        return;
      }
      readBody(url, response, headers['content-encoding'], options.maxBytes).then(
        (body) => finish(null, { url, status, headers, body }),
        fail,
      );
    });
    request.end();
  });
}

function tooLarge(url: URL, maxBytes: number): CrawlError {
  return new CrawlError(url.href, `response exceeds the ${maxBytes}-byte limit (crawler.maxPageBytes)`);
}

function asCrawlError(url: URL, error: Error): Error {
  if (error instanceof CrawlError) {
    // The guarded lookup names only the host; say which URL it refused.
    return error.url === url.href
      ? error
      : new CrawlError(url.href, error.message.slice(error.url.length + 2));
  }
  if (error.name === 'AbortError') return error;
  // A name that does not exist will not exist on retry either (EAI_AGAIN, the transient one, is retried).
  if ((error as NodeJS.ErrnoException).code === 'ENOTFOUND') {
    return new CrawlError(url.href, `cannot resolve host ${url.hostname}`, { cause: error });
  }
  return new CrawlError(url.href, `network error: ${errorMessage(error)}`, { cause: error, retryable: true });
}

function flattenHeaders(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(
  url: URL,
  response: IncomingMessage,
  encoding: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = decodedStream(url, response, (encoding ?? 'identity').trim().toLowerCase());
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      // Counting decoded bytes also stops compression bombs.
      if (size > maxBytes) throw tooLarge(url, maxBytes);
      chunks.push(buffer);
    }
  } catch (error) {
    if (error instanceof CrawlError) throw error;
    const status = response.statusCode ?? 0;
    const reading =
      encoding && encoding !== 'identity' ? `decoding the ${encoding} body` : 'reading the body';
    throw new CrawlError(
      url.href,
      `failed ${reading} (HTTP ${status} ${STATUS_CODES[status] ?? ''}): ${errorMessage(error)}`,
      {
        cause: error,
        retryable: true,
      },
    );
  } finally {
    stream.destroy();
    response.destroy();
  }
  return Buffer.concat(chunks);
}

function decodedStream(url: URL, response: IncomingMessage, encoding: string): Readable {
  const decoder = createDecoder(url, encoding);
  // pipeline carries a broken connection's error into the decoder, where the reader sees it.
  return decoder ? pipeline(response, decoder, () => {}) : response;
}

function createDecoder(url: URL, encoding: string): Transform | null {
  switch (encoding) {
    case 'identity':
    case '':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'br':
      return createBrotliDecompress();
    case 'deflate':
      return createDeflateDecoder();
    default:
      throw new CrawlError(url.href, `unsupported content encoding "${encoding}"`);
  }
}

/** "deflate" should be zlib-wrapped, but some servers send raw deflate; the first byte tells. */
function createDeflateDecoder(): Transform {
  let inner: Transform | null = null;
  const outer: Transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!inner) {
        inner = ((chunk[0] ?? 0) & 0x0f) === 8 ? createInflate() : createInflateRaw();
        inner.on('data', (data: Buffer) => outer.push(data));
        inner.on('error', (error) => outer.destroy(error));
      }
      inner.write(chunk, () => callback());
    },
    flush(callback) {
      if (!inner) return callback();
      inner.once('end', () => callback());
      inner.end();
    },
  });
  return outer;
}
