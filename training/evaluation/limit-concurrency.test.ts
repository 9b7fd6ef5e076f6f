import { describe, expect, it } from 'vitest';
import { limitConcurrency } from './limit-concurrency.ts';

describe('limitConcurrency', () => {
  it('never runs more than the limit at once and runs every task', async () => {
    const limit = limitConcurrency(2);
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const results = Array.from({ length: 5 }, (_, index) =>
      limit(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return index;
      }),
    );
    // Release tasks one by one as they start; only two may be waiting at any time.
    while (releases.length > 0 || running > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(releases.length).toBeLessThanOrEqual(2);
      releases.shift()?.();
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('frees the slot of a task that fails', async () => {
    const limit = limitConcurrency(1);
    await expect(limit(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit(async () => 'next')).toBe('next');
  });
});
