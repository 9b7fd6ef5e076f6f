import { describe, expect, it } from 'vitest';
import { type ChatTiming, summariseChatTimings } from './chat-timing.ts';

const run = (timing: Omit<ChatTiming, 'text'>): ChatTiming => ({ ...timing, text: 'answer' });

describe('summariseChatTimings', () => {
  it('takes the median of per-run rates, leaving one-token answers out of the generation rate', () => {
    const summary = summariseChatTimings([
      // 1000 prompt tokens in 0.5 s = 2000/s; 10 tokens after the first in 1.0 s = 10/s.
      run({ firstTokenMs: 500, lastTokenMs: 1500, totalMs: 1600, promptTokens: 1000, completionTokens: 11 }),
      // 1000 in 0.25 s = 4000/s; 10 in 0.5 s = 20/s.
      run({ firstTokenMs: 250, lastTokenMs: 750, totalMs: 800, promptTokens: 1000, completionTokens: 11 }),
      // 900 in 1 s = 900/s; a single token says nothing about the generation rate.
      run({ firstTokenMs: 1000, lastTokenMs: 1000, totalMs: 1100, promptTokens: 900, completionTokens: 1 }),
    ]);
    expect(summary).toEqual({
      runs: 3,
      promptTokens: 1000,
      completionTokens: 11,
      firstTokenMs: 500,
      totalMs: 1100,
      totalMsRange: [800, 1600],
      promptTokensPerSecond: 2000,
      // Of 10/s and 20/s, the nearest-rank median is the lower.
      generatedTokensPerSecond: 10,
    });
  });

  it('reports no generation rate when no run generated more than one token', () => {
    const summary = summariseChatTimings([
      run({ firstTokenMs: 200, lastTokenMs: 200, totalMs: 210, promptTokens: 100, completionTokens: 1 }),
    ]);
    expect(summary.promptTokensPerSecond).toBe(500);
    expect(summary.generatedTokensPerSecond).toBeNaN();
  });
});
