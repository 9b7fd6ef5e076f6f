import { afterEach, describe, expect, it } from 'vitest';
import { CrawlError, SkipError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { HttpFetcher } from './http-fetcher.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { testCrawlerConfig, virtualClock } from './test-support/test-crawl-context.ts';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const text = (body: string) => ({ headers: { 'content-type': 'text/plain' }, body });

describe('robots.txt', () => {
  it('skips disallowed URLs with a reason and fetches robots.txt once per origin', async () => {
    server = await startFixtureServer({
      '/robots.txt': text(
        'User-agent: *\nDisallow: /private/\n\nUser-agent: LLMTwinBot\nDisallow: /drafts/\n',
      ),
      '/public': { body: '<p>public</p>' },
      '/private/page': { body: '<p>private</p>' },
      '/drafts/one': { body: '<p>draft</p>' },
    });
    const fetcher = new HttpFetcher(testCrawlerConfig(), silentLogger, { clock: virtualClock() });
    expect((await fetcher.fetch(server.url('/public'))).text).toBe('<p>public</p>');
    // Our own group applies, and only it (RFC 9309: the most specific group wins).
    const drafts = await fetcher.fetch(server.url('/drafts/one')).catch((error: unknown) => error);
    expect(drafts).toBeInstanceOf(SkipError);
    expect((drafts as SkipError).reason).toBe('disallowed by robots.txt');
    expect((await fetcher.fetch(server.url('/private/page'))).text).toBe('<p>private</p>');
    expect(server.count('/robots.txt')).toBe(1);
    expect(server.count('/drafts/one')).toBe(0);
  });

  it('treats a missing robots.txt as allow-all and ignores robots when configured to', async () => {
    server = await startFixtureServer({ '/page': { body: '<p>hello</p>' } });
    const fetcher = new HttpFetcher(testCrawlerConfig(), silentLogger, { clock: virtualClock() });
    expect((await fetcher.fetch(server.url('/page'))).text).toBe('<p>hello</p>');
    expect(server.requests).toEqual(['/robots.txt', '/page']);

    server.route('/robots.txt', text('User-agent: *\nDisallow: /\n'));
    const rude = new HttpFetcher(testCrawlerConfig({ respectRobotsTxt: false }), silentLogger);
    expect((await rude.fetch(server.url('/page'))).text).toBe('<p>hello</p>');
    expect(server.count('/robots.txt')).toBe(1);
  });

  it('does not crawl a site whose robots.txt answers 5xx, and says it is temporary', async () => {
    server = await startFixtureServer({ '/robots.txt': { status: 503 }, '/page': { body: '<p>x</p>' } });
    const fetcher = new HttpFetcher(testCrawlerConfig({ retries: 1 }), silentLogger, {
      clock: virtualClock(),
    });
    const error = await fetcher.fetch(server.url('/page')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CrawlError);
    expect(error).not.toBeInstanceOf(SkipError);
    expect((error as CrawlError).retryable).toBe(true);
    expect((error as CrawlError).message).toContain('robots.txt answered HTTP 503');
    expect(server.count('/page')).toBe(0);
  });
});

describe('pacing', () => {
  /** Serves numbered pages, noting the fetcher's (virtual) time and how many requests overlap. */
  async function pacedServer(clock: ReturnType<typeof virtualClock>, robots?: string) {
    const arrivals: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    server = await startFixtureServer(robots ? { '/robots.txt': text(robots) } : {});
    for (let index = 0; index < 4; index += 1) {
      server.route(`/page${index}`, (_request, response) => {
        arrivals.push(clock.now());
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setImmediate(() => {
          inFlight -= 1;
          response.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${index}</p>`);
        });
      });
    }
    return { arrivals, maxInFlight: () => maxInFlight };
  }

  const gaps = (times: number[]) => times.slice(1).map((time, index) => time - (times[index] ?? 0));

  it('spaces requests to one host by perHostDelayMs, one at a time', async () => {
    const clock = virtualClock();
    const observed = await pacedServer(clock);
    const fetcher = new HttpFetcher(
      testCrawlerConfig({ perHostDelayMs: 500, perHostConcurrency: 1 }),
      silentLogger,
      {
        clock,
      },
    );
    const pages = await Promise.all(
      [0, 1, 2, 3].map((index) => fetcher.fetch(server?.url(`/page${index}`) ?? '')),
    );
    expect(pages.map((page) => page.text)).toEqual(['<p>0</p>', '<p>1</p>', '<p>2</p>', '<p>3</p>']);
    expect(observed.arrivals).toHaveLength(4);
    for (const gap of gaps(observed.arrivals)) expect(gap).toBeGreaterThanOrEqual(500);
    expect(observed.maxInFlight()).toBe(1);
  });

  it('honours a robots.txt Crawl-delay larger than perHostDelayMs', async () => {
    const clock = virtualClock();
    const observed = await pacedServer(clock, 'User-agent: *\nCrawl-delay: 2\nAllow: /\n');
    // One at a time: the virtual clock jumps forward whenever anyone sleeps, so only serialised
    // requests give arrival times that mean something.
    const fetcher = new HttpFetcher(
      testCrawlerConfig({ perHostDelayMs: 100, perHostConcurrency: 1 }),
      silentLogger,
      {
        clock,
      },
    );
    await Promise.all([0, 1, 2].map((index) => fetcher.fetch(server?.url(`/page${index}`) ?? '')));
    expect(observed.arrivals).toHaveLength(3);
    for (const gap of gaps(observed.arrivals)) expect(gap).toBeGreaterThanOrEqual(2000);
  });

  it('never runs more than perHostConcurrency requests to one host at once', async () => {
    const held: Array<() => void> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let reachedTwo: () => void = () => {};
    const two = new Promise<void>((resolve) => {
      reachedTwo = resolve;
    });
    server = await startFixtureServer({
      '/slow': (_request, response) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (inFlight === 2) reachedTwo();
        held.push(() => {
          inFlight -= 1;
          response.writeHead(200, { 'content-type': 'text/html' }).end('<p>slow</p>');
        });
      },
    });
    const fetcher = new HttpFetcher(
      testCrawlerConfig({ perHostConcurrency: 2, concurrency: 8, respectRobotsTxt: false }),
      silentLogger,
      { clock: virtualClock() },
    );
    const all = Promise.all([1, 2, 3, 4, 5].map(() => fetcher.fetch(server?.url('/slow') ?? '')));
    await two;
    // A third request, if the limit leaked, would arrive well within this pause.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inFlight).toBe(2);
    while (held.length > 0 || (server?.count('/slow') ?? 0) < 5) {
      held.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const pages = await all;
    expect(pages).toHaveLength(5);
    expect(maxInFlight).toBe(2);
  });
});
