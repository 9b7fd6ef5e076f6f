import { describe, expect, it } from 'vitest';
import { mapConcurrent, mapConcurrentAll } from './map-concurrent.ts';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Calls whose ends the test controls, counting how many run at once. */
function controlledCalls() {
  const ends = new Map<number, (value: string) => void>();
  const state = { running: 0, most: 0, started: [] as number[] };
  const call = (item: number) =>
    new Promise<string>((resolve) => {
      state.running++;
      state.most = Math.max(state.most, state.running);
      state.started.push(item);
      ends.set(item, (value) => {
        state.running--;
        resolve(value);
      });
    });
  const end = (item: number) => ends.get(item)?.(`item ${item}`);
  return { call, end, state };
}

describe('mapConcurrent', () => {
  it('keeps at most `limit` calls in flight and yields results in input order', async () => {
    const { call, end, state } = controlledCalls();
    const results: string[] = [];
    const consuming = (async () => {
      for await (const result of mapConcurrent([0, 1, 2, 3, 4], 2, call)) results.push(result);
    })();
    await turn();
    expect(state.started).toEqual([0, 1]);
    // The second ends first; nothing is yielded until the first has.
    end(1);
    await turn();
    expect(results).toEqual([]);
    end(0);
    await turn();
    expect(results).toEqual(['item 0', 'item 1']);
    for (const item of [2, 3, 4]) {
      await turn();
      end(item);
    }
    await consuming;
    expect(results).toEqual(['item 0', 'item 1', 'item 2', 'item 3', 'item 4']);
    expect(state.most).toBe(2);
  });

  it('treats a limit below one as one', async () => {
    const { call, end, state } = controlledCalls();
    const consuming = (async () => {
      const results: string[] = [];
      for await (const result of mapConcurrent([0, 1], 0, call)) results.push(result);
      return results;
    })();
    await turn();
    expect(state.started).toEqual([0]);
    end(0);
    await turn();
    end(1);
    expect(await consuming).toEqual(['item 0', 'item 1']);
  });

  it('a consumer that stops early leaves no unhandled rejection behind', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for await (const result of mapConcurrent([0, 1, 2], 3, async (item) => {
        if (item > 0) throw new Error(`item ${item} failed`);
        return item;
      })) {
        expect(result).toBe(0);
        break;
      }
      await turn();
      await turn();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('mapConcurrentAll', () => {
  it('returns results in input order whatever order the calls end in', async () => {
    const delays = [3, 0, 2, 1];
    const results = await mapConcurrentAll(delays, 2, async (turns, index) => {
      for (let count = 0; count < turns; count++) await turn();
      return `${index}:${turns}`;
    });
    expect(results).toEqual(['0:3', '1:0', '2:2', '3:1']);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    const { call, end, state } = controlledCalls();
    const all = mapConcurrentAll([0, 1, 2, 3], 3, (item) => call(item));
    await turn();
    expect(state.started).toEqual([0, 1, 2]);
    for (const item of [2, 0, 1, 3]) {
      end(item);
      await turn();
    }
    expect(await all).toEqual(['item 0', 'item 1', 'item 2', 'item 3']);
    expect(state.most).toBe(3);
  });

  it('the first failure stops new calls, aborts those in flight and is rethrown once they settle', async () => {
    const started: number[] = [];
    let inFlightSawAbort = false;
    const all = mapConcurrentAll([0, 1, 2, 3], 2, async (item, _index, signal) => {
      started.push(item);
      if (item === 1) throw new Error('item 1 failed');
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      inFlightSawAbort = signal.aborted;
      return item;
    });
    await expect(all).rejects.toThrow('item 1 failed');
    expect(started).toEqual([0, 1]);
    expect(inFlightSawAbort).toBe(true);
  });

  it('an aborted outer signal aborts the calls and is rethrown', async () => {
    const controller = new AbortController();
    const all = mapConcurrentAll(
      [0, 1],
      1,
      async (_item, _index, signal) => {
        controller.abort(new Error('stopped by the caller'));
        return signal.aborted;
      },
      controller.signal,
    );
    await expect(all).rejects.toThrow('stopped by the caller');
    await expect(
      mapConcurrentAll([0], 1, async () => 'never', AbortSignal.abort(new Error('before start'))),
    ).rejects.toThrow('before start');
  });

  it('maps an empty list to an empty list', async () => {
    expect(await mapConcurrentAll([], 4, async () => 'never')).toEqual([]);
  });
});
