import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.ts';

/** A promise with its resolve and reject handed out, so a test decides when a task ends. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Semaphore', () => {
  it('refuses a limit below one', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
    expect(() => new Semaphore(1.5)).toThrow(/limit must be >= 1, got 1.5/);
  });

  it('never runs more than the limit at once and runs every task', async () => {
    const slots = new Semaphore(2);
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const results = Array.from({ length: 5 }, (_, index) =>
      slots.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return index;
      }),
    );
    // Release tasks one by one as they start; only two may be waiting at any time.
    while (releases.length > 0 || running > 0) {
      await turn();
      expect(releases.length).toBeLessThanOrEqual(2);
      releases.shift()?.();
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(slots.inUse).toBe(0);
  });

  it('frees the slot of a task that fails', async () => {
    const slots = new Semaphore(1);
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(async () => 'next')).toBe('next');
  });

  it('grants waiters first come, first served, and a slot passes straight to the next waiter', async () => {
    const slots = new Semaphore(1);
    await slots.acquire();
    const order: string[] = [];
    const first = slots.acquire().then(() => order.push('first'));
    const second = slots.acquire().then(() => order.push('second'));
    expect(slots.waiting).toBe(2);
    slots.release();
    await first;
    expect(slots.inUse).toBe(1);
    expect(slots.waiting).toBe(1);
    slots.release();
    await second;
    expect(order).toEqual(['first', 'second']);
    slots.release();
    expect(slots.inUse).toBe(0);
  });

  it('a waiter whose signal aborts leaves the queue without taking a slot', async () => {
    const slots = new Semaphore(1);
    await slots.acquire();
    const controller = new AbortController();
    const abandoned = slots.acquire(controller.signal);
    const kept = slots.acquire();
    controller.abort(new Error('gave up'));
    await expect(abandoned).rejects.toThrow('gave up');
    expect(slots.waiting).toBe(1);
    slots.release();
    await kept;
    expect(slots.inUse).toBe(1);
    await expect(slots.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  describe('with a limit of one (a serial queue)', () => {
    it('runs tasks one at a time in call order, and a failure does not stop the queue', async () => {
      const queue = new Semaphore(1);
      const gates = [deferred(), deferred(), deferred()];
      const events: string[] = [];
      const tasks = gates.map((gate, index) =>
        queue.run(async () => {
          events.push(`start ${index}`);
          await gate.promise;
          events.push(`end ${index}`);
          if (index === 1) throw new Error('second failed');
          return index;
        }),
      );
      await turn();
      expect(events).toEqual(['start 0']);
      // Released out of order: the third task still waits for the second.
      gates[2]?.resolve();
      gates[0]?.resolve();
      await turn();
      expect(events).toEqual(['start 0', 'end 0', 'start 1']);
      gates[1]?.resolve();
      expect(await Promise.allSettled(tasks)).toEqual([
        { status: 'fulfilled', value: 0 },
        { status: 'rejected', reason: new Error('second failed') },
        { status: 'fulfilled', value: 2 },
      ]);
      expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    });

    it('drain waits for every task handed over so far, failed ones included', async () => {
      const queue = new Semaphore(1);
      const gates = [deferred(), deferred()];
      const done: number[] = [];
      const first = queue.run(async () => {
        await gates[0]?.promise;
        done.push(0);
      });
      const second = queue.run(async () => {
        await gates[1]?.promise;
        done.push(1);
        throw new Error('late failure');
      });
      second.catch(() => {});
      let drained = false;
      const draining = queue.drain().then(() => {
        drained = true;
      });
      gates[0]?.resolve();
      await first;
      await turn();
      expect(drained).toBe(false);
      gates[1]?.resolve();
      await draining;
      expect(done).toEqual([0, 1]);
      await expect(second).rejects.toThrow('late failure');
      // Nothing queued: drain resolves at once.
      await queue.drain();
    });
  });
});
