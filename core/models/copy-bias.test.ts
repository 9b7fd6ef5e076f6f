import { describe, expect, it } from 'vitest';
import { CopyBias } from './copy-bias.ts';

const weights = { token: 1, continuation: 4 };

describe('CopyBias', () => {
  // Two sources: 10 11 12 13 and 20 11 14.
  const sources = [
    [10, 11, 12, 13],
    [20, 11, 14],
  ];

  it('raises every source token by the token weight when the context matches nothing', () => {
    const bias = new CopyBias(sources, weights).biasAfter([99, 98]);
    expect(Object.fromEntries(bias)).toEqual({ 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 20: 1 });
  });

  it('raises what follows the last two tokens in a source by both weights', () => {
    // 10 11 is followed only by 12 (20 11 by 14): the two-token context tells the copies apart.
    expect(new CopyBias(sources, weights).biasAfter([5, 10, 11]).get(12)).toBe(5);
    expect(new CopyBias(sources, weights).biasAfter([5, 10, 11]).get(14)).toBe(1);
    expect(new CopyBias(sources, weights).biasAfter([5, 20, 11]).get(14)).toBe(5);
  });

  it('falls back to the last token alone when the pair is not in a source', () => {
    // 99 11 is in no source; 11 alone is followed by 12 and by 14.
    const bias = new CopyBias(sources, weights).biasAfter([99, 11]);
    expect([bias.get(12), bias.get(14), bias.get(13)]).toEqual([5, 5, 1]);
  });

  it('does not push a phrase the answer has already quoted a second time', () => {
    // The answer quoted 10 11 12 and is back at 10 11: 12 gets only the token weight now.
    const bias = new CopyBias(sources, weights).biasAfter([10, 11, 12, 10, 11]);
    expect(bias.get(12)).toBe(1);
    // After 20 11 it never went on to 14: that continuation still gets both weights.
    expect(new CopyBias(sources, weights).biasAfter([10, 11, 12, 20, 11]).get(14)).toBe(5);
  });

  it('ignores a last token that too many different tokens follow', () => {
    // 7 is followed by nine different tokens: as telling as "the".
    const common = Array.from({ length: 9 }, (_, index) => [7, 30 + index]);
    const bias = new CopyBias(common, weights).biasAfter([1, 7]);
    expect(Math.max(...bias.values())).toBe(1);
  });

  it('never biases excluded tokens, and is inactive without sources or weights', () => {
    const bias = new CopyBias([[1, 2, 3]], weights, new Set([3])).biasAfter([1, 2]);
    expect(Object.fromEntries(bias)).toEqual({ 1: 1, 2: 1 });
    expect(new CopyBias([], weights).active).toBe(false);
    expect(new CopyBias(sources, { token: 0, continuation: 0 }).active).toBe(false);
    expect(new CopyBias(sources, { token: 0, continuation: 4 }).biasAfter([10, 11])).toEqual(
      new Map([[12, 4]]),
    );
  });
});
