/**
 * Runs `worker` over `items` with at most `limit` in flight, yielding results in input order as
 * they become available. Politeness is the fetcher's job; this only keeps enough calls queued to
 * use it.
 */
export async function* mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  worker: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const refill = () => {
    while (pending.length < Math.max(1, limit) && next < items.length) {
      const promise = worker(items[next] as T);
      // If the consumer stops early, results still running must not surface as unhandled rejections.
      promise.catch(() => {});
      pending.push(promise);
      next += 1;
    }
  };
  refill();
  while (pending.length > 0) {
    const value = await (pending[0] as Promise<R>);
    // The next call starts when one ends, not when the consumer asks, so a slow consumer costs no time.
    pending.shift();
    refill();
    yield value;
  }
}

/**
 * Maps every item with at most `concurrency` calls in flight and returns results in input order, so
 * the output never depends on which call finished first. The first failure stops new calls, aborts
 * the signal handed to the calls in flight, and is rethrown once they have settled.
 */
export async function mapConcurrentAll<T, R>(
  items: readonly T[],
  concurrency: number,
  map: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) controller.abort(signal.reason);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (!failure && !controller.signal.aborted && next < items.length) {
      const index = next++;
      try {
        results[index] = await map(items[index] as T, index, controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw (failure as { error: unknown }).error;
  signal?.throwIfAborted();
  return results;
}
