import { errorMessage, ServiceError, TwinError } from '../../errors.ts';

/**
 * Runs a Redis operation; an unreachable or failing Redis becomes a clear, retryable ServiceError
 * naming the URL and the last connection error. BullMQ waits for a connection to become ready for
 * as long as the driver keeps reconnecting (forever), so this bound is what turns "Redis is down"
 * into an answer instead of a hang; `signal` ends the wait at once (a stop signal).
 */
export async function boundedRedisCall<T>(
  what: string,
  operation: () => Promise<T>,
  options: { url: string; limitMs: number; signal?: AbortSignal; lastError?: () => string },
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const last = options.lastError?.();
      reject(new Error(`no answer within ${options.limitMs} ms${last ? ` (last error: ${last})` : ''}`));
    }, options.limitMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new TwinError(`stopped while waiting to ${what}`));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([operation(), timeout, aborted]);
  } catch (error) {
    if (error instanceof TwinError) throw error;
    throw new ServiceError(
      `could not ${what}: Redis at ${options.url} (stores.queue.url) failed: ${errorMessage(error)}`,
      { cause: error, retryable: true },
    );
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
