import type { CrawlerConfig } from '../../../core/config/config-schema.ts';
import { loadConfig } from '../../../core/config/load-config.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { Clock } from '../clock.ts';
import type { CrawlContext, CrawlOutcome } from '../crawler.ts';
import { HttpFetcher } from '../http-fetcher.ts';

/**
 * configs/default.yaml's crawler settings with loopback allowed (fixture sites live on 127.0.0.1)
 * and tiny waits so tests stay fast.
 */
export function testCrawlerConfig(overrides: Partial<CrawlerConfig> = {}): CrawlerConfig {
  const defaults = loadConfig({ env: {} }).crawler;
  return {
    ...defaults,
    allowLoopback: true,
    perHostDelayMs: 0,
    timeoutMs: 2000,
    backoffMs: 5,
    retries: 2,
    ...overrides,
  };
}

/** A clock that never waits: sleeping moves its time forward, so pacing is checked without timing. */
export function virtualClock(): Clock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += Math.max(0, ms);
      await Promise.resolve();
    },
  };
}

export function testCrawlContext(
  overrides: Partial<CrawlerConfig> = {},
  options: { clock?: Clock; onDiscovered?: (count: number) => void; signal?: AbortSignal } = {},
): CrawlContext {
  const config = testCrawlerConfig(overrides);
  return {
    config,
    logger: silentLogger,
    fetcher: new HttpFetcher(config, silentLogger, { clock: options.clock ?? virtualClock() }),
    signal: options.signal ?? new AbortController().signal,
    ...(options.onDiscovered ? { onDiscovered: options.onDiscovered } : {}),
  };
}

export async function collect(outcomes: AsyncIterable<CrawlOutcome>): Promise<CrawlOutcome[]> {
  const all: CrawlOutcome[] = [];
  for await (const outcome of outcomes) all.push(outcome);
  return all;
}

/** The documents among outcomes, in order. */
export function documentsOf(outcomes: CrawlOutcome[]) {
  return outcomes.flatMap((outcome) => (outcome.kind === 'document' ? [outcome.document] : []));
}
