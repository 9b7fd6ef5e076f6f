/**
 * Runs `worker` over `items` with at most `limit` in flight, yielding results in input order.
 * Politeness is the fetcher's job; this only keeps enough requests queued to use it.
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
  for (let head = pending.shift(); head; head = pending.shift()) {
    refill();
    yield await head;
  }
}
