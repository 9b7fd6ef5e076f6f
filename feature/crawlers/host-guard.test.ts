import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { CrawlError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { assertAllowedHost, assertAllowedUrl, classifyAddress, createGuardedLookup } from './host-guard.ts';
import { HttpFetcher } from './http-fetcher.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { testCrawlerConfig } from './test-support/test-crawl-context.ts';

const strict = { allowLoopback: false, allowPrivateNetworks: false };

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function thrown(run: () => unknown): CrawlError {
  try {
    run();
  } catch (error) {
    if (error instanceof CrawlError) return error;
    throw error;
  }
  throw new Error('expected a CrawlError');
}

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'reserved'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(classifyAddress(address)).toBeNull();
    },
  );
});

describe('assertAllowedUrl', () => {
  it('refuses malformed URLs and other schemes with a clear, non-retryable error', () => {
    const malformed = thrown(() => assertAllowedUrl('not a url', strict));
    expect(malformed.message).toBe('not a url: malformed URL');
    expect(malformed.retryable).toBe(false);
    expect(thrown(() => assertAllowedUrl('ftp://example.com/file', strict)).message).toContain(
      'unsupported URL scheme ftp: (only http: and https:)',
    );
    expect(thrown(() => assertAllowedUrl('file:///etc/passwd', strict)).message).toContain(
      'unsupported URL scheme',
    );
  });

  it('refuses IP literals in refused ranges, however they are spelled', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://10.0.0.7/',
      'http://[::ffff:169.254.169.254]/latest/meta-data',
      'http://0.0.0.0:8080/',
    ]) {
      expect(thrown(() => assertAllowedUrl(url, strict)).message, url).toMatch(
        /refused (loopback|private|link-local|unspecified) address/,
      );
    }
    expect(assertAllowedUrl('https://example.com/post', strict).hostname).toBe('example.com');
  });

  it('lets configuration open loopback and private ranges separately', () => {
    expect(assertAllowedUrl('http://127.0.0.1/', { ...strict, allowLoopback: true }).hostname).toBe(
      '127.0.0.1',
    );
    expect(() => assertAllowedUrl('http://10.0.0.1/', { ...strict, allowLoopback: true })).toThrow(
      'allowPrivateNetworks',
    );
    expect(assertAllowedUrl('http://10.0.0.1/', { ...strict, allowPrivateNetworks: true }).hostname).toBe(
      '10.0.0.1',
    );
  });
});

describe('connect-time checks', () => {
  it('refuses a host name that resolves to loopback (DNS answer checked at connect)', async () => {
    await expect(assertAllowedHost('http://localhost/', strict)).rejects.toThrow(
      /localhost resolves to a refused loopback/,
    );
  });

  it('refuses a rebinding answer from DNS in the lookup used by every request', async () => {
    const answers: Record<string, LookupAddress[]> = {
      'blog.example': [{ address: '93.184.216.34', family: 4 }],
      'rebind.example': [{ address: '10.0.0.5', family: 4 }],
      'mixed.example': [
        { address: '127.0.0.1', family: 4 },
        { address: '93.184.216.35', family: 4 },
      ],
    };
    const lookup = createGuardedLookup(strict, (hostname, _options, callback) =>
      callback(null, answers[hostname] ?? []),
    );
    const resolve = (hostname: string, all: boolean) =>
      new Promise<unknown>((done) => lookup(hostname, { all }, (error, address) => done(error ?? address)));
    expect(await resolve('blog.example', false)).toBe('93.184.216.34');
    expect(await resolve('mixed.example', true)).toEqual([{ address: '93.184.216.35', family: 4 }]);
    const refused = await resolve('rebind.example', true);
    expect(refused).toBeInstanceOf(CrawlError);
    expect((refused as CrawlError).message).toContain(
      'rebind.example resolves to a refused private address 10.0.0.5',
    );
  });

  it('refuses loopback fixture servers under the default configuration, without connecting', async () => {
    server = await startFixtureServer({ '/': { body: '<p>secret</p>' } });
    const fetcher = new HttpFetcher(testCrawlerConfig({ allowLoopback: false }), silentLogger);
    await expect(fetcher.fetch(server.url('/'))).rejects.toThrow(/refused loopback address 127\.0\.0\.1/);
    await expect(fetcher.fetch(server.url('/').replace('127.0.0.1', 'localhost'))).rejects.toThrow(
      /localhost resolves to a refused loopback address/,
    );
    expect(server.requests).toEqual([]);
  });

  it('connects through the guarded lookup when the resolved address is allowed', async () => {
    server = await startFixtureServer({ '/': { body: '<p>local</p>' } });
    const fetcher = new HttpFetcher(testCrawlerConfig({ allowLoopback: true }), silentLogger);
    const page = await fetcher.fetch(server.url('/').replace('127.0.0.1', 'localhost'));
    expect(page.text).toBe('<p>local</p>');
  });

  it('refuses a redirect into a private network even when the first hop is allowed', async () => {
    server = await startFixtureServer({
      '/go': { status: 302, headers: { location: 'http://10.0.0.1/admin' } },
      '/metadata': { status: 301, headers: { location: 'http://[::ffff:169.254.169.254]/latest/meta-data' } },
    });
    const fetcher = new HttpFetcher(testCrawlerConfig({ allowLoopback: true }), silentLogger);
    await expect(fetcher.fetch(server.url('/go'))).rejects.toThrow(
      /redirect refused: .*refused private address 10\.0\.0\.1/,
    );
    await expect(fetcher.fetch(server.url('/metadata'))).rejects.toThrow(/refused link-local address/);
  });
});
