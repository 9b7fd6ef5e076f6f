import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { CrawlError, SkipError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { assertTextual } from './assert-textual.ts';
import { HttpFetcher } from './http-fetcher.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { testCrawlerConfig, virtualClock } from './test-support/test-crawl-context.ts';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function fetcherFor(overrides: Parameters<typeof testCrawlerConfig>[0] = {}, clock = virtualClock()) {
  return { fetcher: new HttpFetcher(testCrawlerConfig(overrides), silentLogger, { clock }), clock };
}

async function failure(promise: Promise<unknown>): Promise<CrawlError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof CrawlError)) throw new Error(`expected a CrawlError, got ${String(error)}`);
  return error;
}

describe('HttpFetcher: decoding', () => {
  it('decodes a windows-1252 page named in the Content-Type header', async () => {
    const html = '<html><body><p>Café – it’s “quoted”</p></body></html>';
    server = await startFixtureServer({
      '/': {
        headers: { 'content-type': 'text/html; charset=windows-1252' },
        body: iconv.encode(html, 'windows-1252'),
      },
    });
    const page = await fetcherFor().fetcher.fetch(server.url('/'));
    expect(page.charset).toBe('windows-1252');
    expect(page.text).toContain('Café – it’s “quoted”');
  });

  it('falls back to <meta charset> and reads a latin-1 label as windows-1252, like browsers', async () => {
    const html = '<html><head><meta charset="iso-8859-1"></head><body><p>Résumé’s end</p></body></html>';
    server = await startFixtureServer({
      '/': { headers: { 'content-type': 'text/html' }, body: iconv.encode(html, 'windows-1252') },
    });
    const page = await fetcherFor().fetcher.fetch(server.url('/'));
    expect(page.charset).toBe('windows-1252');
    expect(page.text).toContain('Résumé’s end');
  });

  it('reads http-equiv charsets, honours a byte-order mark and defaults to utf-8', async () => {
    const equiv = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><p>naïve</p>';
    server = await startFixtureServer({
      '/equiv': { headers: { 'content-type': 'text/html' }, body: iconv.encode(equiv, 'windows-1252') },
      '/bom': {
        headers: { 'content-type': 'text/html; charset=iso-8859-1' },
        body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<p>über</p>')]),
      },
      '/plain': { headers: { 'content-type': 'text/html' }, body: '<p>日本語</p>' },
    });
    const { fetcher } = fetcherFor();
    expect((await fetcher.fetch(server.url('/equiv'))).text).toContain('naïve');
    const bom = await fetcher.fetch(server.url('/bom'));
    expect(bom.charset).toBe('utf-8');
    expect(bom.text).toBe('<p>über</p>');
    expect((await fetcher.fetch(server.url('/plain'))).text).toBe('<p>日本語</p>');
  });

  it('decompresses gzip, brotli, zlib deflate and raw deflate bodies', async () => {
    const html = `<p>${'compressed words '.repeat(200)}</p>`;
    const encoded = (encoding: string, body: Buffer) => ({ headers: { 'content-encoding': encoding }, body });
    server = await startFixtureServer({
      '/gzip': encoded('gzip', gzipSync(html)),
      '/br': encoded('br', brotliCompressSync(html)),
      '/deflate': encoded('deflate', deflateSync(html)),
      '/raw-deflate': encoded('deflate', deflateRawSync(html)),
    });
    const { fetcher } = fetcherFor();
    for (const path of ['/gzip', '/br', '/deflate', '/raw-deflate']) {
      expect((await fetcher.fetch(server.url(path))).text, path).toBe(html);
    }
  });
});

describe('HttpFetcher: errors and retries', () => {
  it('reports a 404 as a non-retryable error naming the status, without retrying', async () => {
    server = await startFixtureServer();
    const error = await failure(fetcherFor().fetcher.fetch(server.url('/missing')));
    expect(error.message).toContain('HTTP 404 Not Found');
    expect(error.status).toBe(404);
    expect(error.retryable).toBe(false);
    expect(server.count('/missing')).toBe(1);
  });

  it('retries a 500 and returns the page once the server recovers', async () => {
    let calls = 0;
    server = await startFixtureServer({
      '/flaky': (_request, response) => {
        calls += 1;
        if (calls === 1) response.writeHead(500).end('oops');
        else response.writeHead(200, { 'content-type': 'text/html' }).end('<p>recovered</p>');
      },
    });
    const { fetcher, clock } = fetcherFor({ retries: 3, backoffMs: 100 });
    const page = await fetcher.fetch(server.url('/flaky'));
    expect(page.text).toBe('<p>recovered</p>');
    expect(server.count('/flaky')).toBe(2);
    // One backoff wait, jittered within [backoff/2, backoff].
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(100);
  });

  it('gives up after the configured retries with a retryable error', async () => {
    server = await startFixtureServer({ '/down': { status: 503, body: 'busy' } });
    const { fetcher, clock } = fetcherFor({ retries: 2, backoffMs: 100 });
    const error = await failure(fetcher.fetch(server.url('/down')));
    expect(error.message).toContain('HTTP 503 Service Unavailable (after 3 attempts)');
    expect(error.retryable).toBe(true);
    expect(server.count('/down')).toBe(3);
    // Exponential: the second wait draws from a window twice as large as the first.
    expect(clock.sleeps[0]).toBeLessThanOrEqual(100);
    expect(clock.sleeps[1]).toBeGreaterThanOrEqual(100);
  });

  it('waits as long as a 429 Retry-After asks, capped', async () => {
    let calls = 0;
    server = await startFixtureServer({
      '/limited': (_request, response) => {
        calls += 1;
        if (calls === 1) response.writeHead(429, { 'retry-after': '3' }).end();
        else if (calls === 2) response.writeHead(429, { 'retry-after': '86400' }).end();
        else response.writeHead(200, { 'content-type': 'text/html' }).end('<p>ok</p>');
      },
    });
    const clock = virtualClock();
    const fetcher = new HttpFetcher(testCrawlerConfig({ retries: 3 }), silentLogger, {
      clock,
      maxWaitMs: 10_000,
    });
    expect((await fetcher.fetch(server.url('/limited'))).text).toBe('<p>ok</p>');
    expect(clock.sleeps).toEqual([3000, 10_000]);
    expect(server.count('/limited')).toBe(3);
  });

  it('follows redirects and reports the final URL', async () => {
    server = await startFixtureServer({
      '/old': { status: 301, headers: { location: '/middle' } },
      '/middle': { status: 302, headers: { location: '/new#section' } },
      '/new': { body: '<p>moved</p>' },
    });
    const page = await fetcherFor().fetcher.fetch(server.url('/old'));
    expect(page.url).toBe(server.url('/new'));
    expect(page.text).toBe('<p>moved</p>');
  });

  it('detects a redirect loop', async () => {
    server = await startFixtureServer({
      '/a': { status: 302, headers: { location: '/b' } },
      '/b': { status: 302, headers: { location: '/a' } },
    });
    const error = await failure(fetcherFor({ maxRedirects: 10 }).fetcher.fetch(server.url('/a')));
    expect(error.message).toContain('redirect loop');
    expect(error.message).toContain(`${server.url('/a')} → ${server.url('/b')} → ${server.url('/a')}`);
    expect(error.retryable).toBe(false);
    expect(server.count('/a')).toBe(1);
  });

  it('stops after maxRedirects', async () => {
    server = await startFixtureServer();
    for (let index = 0; index < 5; index += 1) {
      server.route(`/hop${index}`, { status: 307, headers: { location: `/hop${index + 1}` } });
    }
    const error = await failure(fetcherFor({ maxRedirects: 2 }).fetcher.fetch(server.url('/hop0')));
    expect(error.message).toContain('too many redirects (more than 2)');
    expect(server.count('/hop3')).toBe(0);
  });

  it('cuts off a body larger than maxPageBytes, with or without Content-Length', async () => {
    const huge = `<p>${'x'.repeat(20_000)}</p>`;
    server = await startFixtureServer({
      '/declared': { body: huge },
      '/streamed': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        for (let index = 0; index < 20; index += 1) response.write('y'.repeat(1000));
        response.end();
      },
      '/bomb': { headers: { 'content-encoding': 'gzip' }, body: gzipSync(huge) },
    });
    const { fetcher } = fetcherFor({ maxPageBytes: 4096 });
    for (const path of ['/declared', '/streamed', '/bomb']) {
      const error = await failure(fetcher.fetch(server.url(path)));
      expect(error.message, path).toContain('exceeds the 4096-byte limit');
      expect(error.retryable).toBe(false);
    }
  });

  it('times out a server that never answers', async () => {
    server = await startFixtureServer({ '/hang': () => {} });
    const error = await failure(
      fetcherFor({ timeoutMs: 150, retries: 0 }).fetcher.fetch(server.url('/hang')),
    );
    expect(error.message).toContain('timed out after 150 ms');
    expect(error.retryable).toBe(true);
  });

  it('aborts an in-flight request when the signal fires', async () => {
    server = await startFixtureServer({ '/hang': () => {} });
    const controller = new AbortController();
    const pending = fetcherFor({ timeoutMs: 30_000 }).fetcher.fetch(server.url('/hang'), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('crawl cancelled')), 20);
    await expect(pending).rejects.toThrow('crawl cancelled');
  });
});

describe('HttpFetcher: content checks', () => {
  it('lets crawlers refuse PDFs and binary bodies with a reason', async () => {
    server = await startFixtureServer({
      '/paper.pdf': {
        headers: { 'content-type': 'application/pdf' },
        body: Buffer.from('%PDF-1.7\n%\u00e2\u00e3'),
      },
      '/image': {
        headers: { 'content-type': 'text/html' },
        body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      },
      '/nul': { headers: { 'content-type': 'text/plain' }, body: Buffer.from('abc\u0000\u0000\u0001def') },
      '/feed-as-html': { body: '<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>' },
    });
    const { fetcher } = fetcherFor();
    const reasonFor = async (path: string, accepted: Parameters<typeof assertTextual>[1]) => {
      const page = await fetcher.fetch(server?.url(path) ?? '');
      try {
        return assertTextual(page, accepted);
      } catch (error) {
        return error instanceof SkipError ? `skip: ${error.reason}` : 'unexpected';
      }
    };
    expect(await reasonFor('/paper.pdf', ['html'])).toBe('skip: not HTML (application/pdf)');
    expect(await reasonFor('/image', ['html'])).toBe('skip: binary content');
    expect(await reasonFor('/nul', ['html', 'text'])).toBe('skip: binary content');
    expect(await reasonFor('/feed-as-html', ['html', 'xml'])).toBe('xml');
    expect(await reasonFor('/feed-as-html', ['html'])).toBe('skip: not HTML (XML served as text/html)');
  });
});
