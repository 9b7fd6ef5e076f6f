/**
 * A counting semaphore with FIFO waiters; a waiter whose signal aborts leaves the queue. `run`
 * holds a slot for one task, so `new Semaphore(1)` is a serial queue: tasks run one at a time, in
 * call order.
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be >= 1, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.limit) {
      this.active += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next();
    else this.active -= 1;
  }

  /** Runs `task` once a slot is free and frees the slot when it settles, failed or not. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const result = (async () => {
      // A free slot is taken at once, so the task starts before `run` returns.
      if (this.active < this.limit && !signal?.aborted) this.active += 1;
      else await this.acquire(signal);
      try {
        return await task();
      } finally {
        this.release();
      }
    })();
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.tasks.add(settled);
    void settled.then(() => this.tasks.delete(settled));
    return result;
  }

  /** Resolves once every task handed to `run` so far has settled. */
  async drain(): Promise<void> {
    await Promise.all([...this.tasks]);
  }
}
