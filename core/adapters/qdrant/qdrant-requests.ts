import { setTimeout as sleepFor } from 'node:timers/promises';
import type { z } from 'zod';
import { type QdrantCallContext, retryAfterMs, toTwinError, unexpectedResponse } from './qdrant-errors.ts';

export type QdrantRequestsOptions = {
  /** Names the server in error messages. */
  url: string;
  /** The client's per-request timeout, named in error messages. */
  timeoutMs: number;
  /** Attempts in all, the first included, of a request Qdrant rate-limits with a Retry-After. */
  rateLimitAttempts?: number;
  /** The longest Retry-After waited for; a longer one fails at once, for the caller's queue to retry. */
  maxRetryWaitMs?: number;
  /** Waits between attempts; injectable so tests see the waits without spending them. */
  sleep?: (milliseconds: number) => Promise<void>;
};

/**
 * How the adapter sends a request through the Qdrant client: whatever fails becomes one of our
 * errors naming the server and the operation, a rate-limited request is sent again after the wait
 * Qdrant asks for, and a result is parsed at the edge.
 */
export class QdrantRequests {
  constructor(private readonly options: QdrantRequestsOptions) {}

  /**
   * One request, sent again while Qdrant answers 429 with a Retry-After: its rate limiter refuses
   * a request before applying any of it, so even an alias switch is safe to repeat.
   */
  async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    const attempts = this.options.rateLimitAttempts ?? 3;
    const maxWaitMs = this.options.maxRetryWaitMs ?? 10_000;
    const sleep = this.options.sleep ?? ((milliseconds: number) => sleepFor(milliseconds));
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        const waitMs = retryAfterMs(error);
        if (waitMs === null) throw toTwinError(error, this.context(operation));
        if (waitMs > maxWaitMs) {
          const gaveUp = `longer than the ${maxWaitMs} ms this store waits, so it did not try again`;
          throw toTwinError(error, { ...this.context(operation), gaveUp });
        }
        if (attempt >= attempts) {
          const gaveUp = `still refused after ${attempt} attempts`;
          throw toTwinError(error, { ...this.context(operation), gaveUp });
        }
        await sleep(waitMs);
      }
    }
  }

  /** A request whose result is parsed at the edge: a result of the wrong shape is a ServiceError. */
  async read<T>(operation: string, schema: z.ZodType<T>, request: () => Promise<unknown>): Promise<T> {
    const parsed = schema.safeParse(await this.call(operation, request));
    if (!parsed.success) throw unexpectedResponse(this.context(operation), parsed.error);
    return parsed.data;
  }

  private context(operation: string): QdrantCallContext {
    return { url: this.options.url, operation, timeoutMs: this.options.timeoutMs };
  }
}
