import { STATUS_CODES } from 'node:http';
import type { LookupFunction } from 'node:net';
import type { CrawlerConfig } from '../../core/config/config-schema.ts';
import { CrawlError, errorMessage, SkipError } from '../../core/errors.ts';
import { parseRetryAfter } from '../../core/http/retry-after.ts';
import type { Logger } from '../../core/logger.ts';
import { type Clock, systemClock } from './clock.ts';
import { decodeBody, detectCharset } from './detect-charset.ts';
import { assertAllowedUrl, createGuardedLookup } from './host-guard.ts';
import { HostScheduler } from './host-scheduler.ts';
import { type RawResponse, requestOnce } from './http-request.ts';
import { RobotsPolicy } from './robots-policy.ts';

/** A successfully fetched response, its body decoded to text with the detected charset. */
export type FetchedPage = {
  /** The final URL, after redirects (without fragment). */
  url: string;
  status: number;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Media type without parameters, lower-cased; "" when the server sent none. */
  contentType: string;
  charset: string;
  body: Buffer;
  text: string;
};

export type FetchOptions = {
  /** Accept header; defaults to HTML and XML. */
  accept?: string;
  /** Body limit for this request; defaults to `crawler.maxPageBytes`. */
  maxBytes?: number;
  signal?: AbortSignal;
  /**
   * Set false for documented public APIs (dev.to), whose terms govern access rather than the
   * site's robots.txt. Ignored (always off) when `crawler.respectRobotsTxt` is false.
   */
  robots?: boolean;
};

export type HttpFetcherOptions = {
  /** Time source for backoff and politeness waits; tests pass a virtual clock. */
  clock?: Clock;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Cap on any single wait a server can ask for (Retry-After, robots Crawl-delay). */
  maxWaitMs?: number;
};

const defaultAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const robotsMaxBytes = 512 * 1024;
// RFC 9309 §2.3.1.2: follow at least five redirects for robots.txt.
const robotsMaxRedirects = 5;

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Statuses worth asking again: rate limiting and transient server trouble (not 501/505). */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

function describeStatus(status: number): string {
  return `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
}

function withoutFragment(url: URL): URL {
  const copy = new URL(url);
  copy.hash = '';
  return copy;
}

/**
 * Polite, guarded HTTP GET for crawlers: redirects checked hop by hop (address guard, robots.txt,
 * loop detection), retries with backoff, size and time limits, decompression and charset decoding.
 */
export class HttpFetcher {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxWaitMs: number;
  private readonly scheduler: HostScheduler;
  private readonly robots: RobotsPolicy;
  private readonly lookup: LookupFunction;

  constructor(
    private readonly config: CrawlerConfig,
    private readonly logger: Logger,
    options: HttpFetcherOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.scheduler = new HostScheduler(config, this.clock);
    this.lookup = createGuardedLookup(config);
    this.robots = new RobotsPolicy({
      userAgent: config.userAgent,
      clock: this.clock,
      logger,
      fetchRobots: async (url, signal) => {
        const response = await this.follow(
          url.href,
          { signal, maxBytes: robotsMaxBytes, accept: 'text/plain' },
          false,
          {
            maxRedirects: robotsMaxRedirects,
          },
        );
        return { status: response.status, text: response.body.toString('utf8') };
      },
    });
  }

  /**
   * GETs `url`. Throws `SkipError` when robots.txt disallows it, and `CrawlError` otherwise
   * (retryable for network trouble, timeouts, 429 and 5xx once retries are spent).
   */
  async fetch(url: string, options: FetchOptions = {}): Promise<FetchedPage> {
    const useRobots = this.config.respectRobotsTxt && options.robots !== false;
    const response = await this.follow(url, options, useRobots, { maxRedirects: this.config.maxRedirects });
    const { status } = response;
    if (status < 200 || status >= 300) {
      const retryable = isRetryableStatus(status);
      const tail = retryable ? ` (after ${this.config.retries + 1} attempts)` : '';
      throw new CrawlError(response.url.href, `${describeStatus(status)}${tail}`, { status, retryable });
    }
    const contentType = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const charset = detectCharset(response.headers['content-type'], response.body);
    return {
      url: response.url.href,
      status,
      headers: response.headers,
      contentType,
      charset,
      body: response.body,
      text: decodeBody(response.body, charset),
    };
  }

  /** Follows redirects, checking every hop; returns the first non-redirect response, whatever its status. */
  private async follow(
    input: string,
    options: FetchOptions,
    useRobots: boolean,
    limits: { maxRedirects: number },
  ): Promise<RawResponse> {
    let url = withoutFragment(assertAllowedUrl(input, this.config));
    const chain = [url.href];
    for (let hop = 0; ; hop += 1) {
      if (useRobots) await this.checkRobots(url, options.signal);
      const response = await this.exchange(url, options);
      const location = response.headers.location;
      if (!isRedirect(response.status) || !location) return response;
      if (hop >= limits.maxRedirects) {
        throw new CrawlError(
          input,
          `too many redirects (more than ${limits.maxRedirects}): ${chain.join(' → ')}`,
        );
      }
      let next: URL;
      try {
        next = withoutFragment(assertAllowedUrl(new URL(location, url), this.config));
      } catch (error) {
        if (error instanceof CrawlError) throw new CrawlError(input, `redirect refused: ${error.message}`);
        throw new CrawlError(input, `malformed redirect Location "${location}"`, { cause: error });
      }
      if (chain.includes(next.href)) {
        throw new CrawlError(input, `redirect loop: ${[...chain, next.href].join(' → ')}`);
      }
      chain.push(next.href);
      url = next;
    }
  }

  private async checkRobots(url: URL, signal: AbortSignal | undefined): Promise<void> {
    const verdict = await this.robots.check(url, signal);
    if (!verdict.allowed) throw new SkipError(url.href, 'disallowed by robots.txt');
    if (verdict.crawlDelayMs !== null && verdict.crawlDelayMs > this.scheduler.hostDelay(url.host)) {
      this.scheduler.setHostDelay(url.host, Math.min(verdict.crawlDelayMs, this.maxWaitMs));
    }
  }

  /** One request to one URL, repeated on 429/5xx and network errors with exponential backoff. */
  private async exchange(url: URL, options: FetchOptions): Promise<RawResponse> {
    const attempts = this.config.retries + 1;
    for (let attempt = 1; ; attempt += 1) {
      const release = await this.scheduler.acquire(url.host, options.signal);
      let response: RawResponse | undefined;
      let failure: unknown;
      try {
        response = await requestOnce(url, {
          headers: {
            'user-agent': this.config.userAgent,
            accept: options.accept ?? defaultAccept,
            'accept-encoding': 'gzip, deflate, br',
          },
          timeoutMs: this.config.timeoutMs,
          maxBytes: options.maxBytes ?? this.config.maxPageBytes,
          lookup: this.lookup,
          signal: options.signal,
        });
      } catch (error) {
        failure = error;
      } finally {
        release();
      }
      const retryable = response
        ? isRetryableStatus(response.status)
        : failure instanceof CrawlError && failure.retryable;
      if (!retryable || attempt >= attempts) {
        if (response) return response;
        throw failure;
      }
      const wait = this.retryDelay(attempt, response?.headers['retry-after']);
      this.logger.warn('retrying request', {
        url: url.href,
        attempt,
        of: attempts,
        waitMs: wait,
        reason: response ? describeStatus(response.status) : errorMessage(failure),
      });
      await this.clock.sleep(wait, options.signal);
    }
  }

  /** Exponential backoff with "equal jitter", raised to the server's Retry-After, capped. */
  private retryDelay(attempt: number, retryAfter: string | undefined): number {
    const base = this.config.backoffMs * 2 ** (attempt - 1);
    const jittered = base / 2 + (this.random() * base) / 2;
    const asked = parseRetryAfter(retryAfter, this.clock.now()) ?? 0;
    return Math.round(Math.min(Math.max(jittered, asked), this.maxWaitMs));
  }
}
