import robotsParserModule from 'robots-parser';
import { CrawlError, errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Clock } from './clock.ts';

/** Fetches a robots.txt; resolves for any HTTP status, rejects with a `CrawlError` otherwise. */
export type RobotsFetch = (url: URL, signal?: AbortSignal) => Promise<{ status: number; text: string }>;

export type RobotsVerdict = { allowed: boolean; crawlDelayMs: number | null };

// The package is CommonJS but its types declare an ES default export; under NodeNext the default
// import is `module.exports`, which is the parser function itself.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;
type Robot = ReturnType<typeof robotsParser>;
type Rules =
  | { kind: 'rules'; robot: Robot }
  | { kind: 'allow-all' }
  | { kind: 'unreachable'; message: string };

// RFC 9309 §2.4: a cached robots.txt should not be used for more than 24 hours. A host that could
// not be reached is asked again sooner, so one outage does not block it for the whole crawl.
const rulesTtlMs = 24 * 60 * 60 * 1000;
const unreachableTtlMs = 60 * 1000;

/** robots.txt rules, fetched once per origin and cached; see `check` for the RFC 9309 choices. */
export class RobotsPolicy {
  private readonly cache = new Map<string, { expiresAt: number; rules: Promise<Rules> }>();

  constructor(
    private readonly options: { userAgent: string; fetchRobots: RobotsFetch; clock: Clock; logger: Logger },
  ) {}

  /**
   * Whether `url` may be fetched. Per RFC 9309 §2.3.1: a robots.txt answering 4xx (missing,
   * forbidden) allows everything; one that cannot be reached (5xx, 429, network failure) means
   * "disallow everything". That last case throws a *retryable* `CrawlError` rather than a skip,
   * because it is temporary: the job should come back later, not record the page as refused.
   */
  async check(url: URL, signal?: AbortSignal): Promise<RobotsVerdict> {
    const rules = await this.rulesFor(url.origin, signal);
    switch (rules.kind) {
      case 'allow-all':
        return { allowed: true, crawlDelayMs: null };
      case 'unreachable':
        throw new CrawlError(
          url.href,
          `${rules.message}; not crawling the site until it answers (RFC 9309)`,
          {
            retryable: true,
          },
        );
      case 'rules': {
        const { userAgent } = this.options;
        const delaySeconds = rules.robot.getCrawlDelay(userAgent);
        return {
          // robots-parser answers undefined for URLs outside the file's origin; ours never are.
          allowed: rules.robot.isAllowed(url.href, userAgent) !== false,
          crawlDelayMs:
            delaySeconds !== undefined && delaySeconds > 0 ? Math.round(delaySeconds * 1000) : null,
        };
      }
    }
  }

  private rulesFor(origin: string, signal?: AbortSignal): Promise<Rules> {
    const now = this.options.clock.now();
    const cached = this.cache.get(origin);
    if (cached && cached.expiresAt > now) return cached.rules;
    const rules = this.load(origin, signal);
    const entry = { expiresAt: now + rulesTtlMs, rules };
    this.cache.set(origin, entry);
    rules.then(
      (loaded) => {
        if (loaded.kind === 'unreachable') entry.expiresAt = this.options.clock.now() + unreachableTtlMs;
      },
      // Only an abort rejects; the next caller must not inherit it.
      () => {
        if (this.cache.get(origin) === entry) this.cache.delete(origin);
      },
    );
    return rules;
  }

  private async load(origin: string, signal?: AbortSignal): Promise<Rules> {
    const robotsUrl = new URL('/robots.txt', origin);
    const { logger } = this.options;
    try {
      const { status, text } = await this.options.fetchRobots(robotsUrl, signal);
      if (status >= 200 && status < 300) return { kind: 'rules', robot: robotsParser(robotsUrl.href, text) };
      if (status === 429 || status >= 500)
        return { kind: 'unreachable', message: `robots.txt answered HTTP ${status}` };
      logger.debug('robots.txt unavailable, allowing all', { origin, status });
      return { kind: 'allow-all' };
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof CrawlError && !error.retryable) {
        // Too large, redirect loop, refused redirect: RFC 9309 treats an unusable file as unavailable.
        logger.warn('robots.txt unusable, allowing all', { origin, error: errorMessage(error) });
        return { kind: 'allow-all' };
      }
      return { kind: 'unreachable', message: `robots.txt unreachable (${errorMessage(error)})` };
    }
  }
}
