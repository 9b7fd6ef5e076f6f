import { percentile, round } from '../measure.ts';

/** One answer, timed from the moment it was asked for (milliseconds), with its token counts. */
export type ChatTiming = {
  /** The first piece of answer text arrived. */
  firstTokenMs: number;
  /** The last piece of answer text arrived. */
  lastTokenMs: number;
  /** The answer was complete (for HTTP: the stream ended). */
  totalMs: number;
  promptTokens: number;
  completionTokens: number;
  text: string;
};

export type ChatTimingSummary = {
  runs: number;
  promptTokens: number;
  completionTokens: number;
  firstTokenMs: number;
  totalMs: number;
  /** The fastest and slowest run's total: how far to trust a ratio of medians. */
  totalMsRange: [number, number];
  /** Prompt tokens over the time to the first token (which also samples that token). */
  promptTokensPerSecond: number;
  /** Tokens after the first over the time from the first piece of text to the last. */
  generatedTokensPerSecond: number;
};

/** Medians over the runs of each figure (rates are computed per run, then their median taken). */
export function summariseChatTimings(timings: readonly ChatTiming[]): ChatTimingSummary {
  const median = (values: number[]) => percentile(values, 0.5);
  const decoding = timings.filter(
    (timing) => timing.completionTokens > 1 && timing.lastTokenMs > timing.firstTokenMs,
  );
  return {
    runs: timings.length,
    promptTokens: median(timings.map((timing) => timing.promptTokens)),
    completionTokens: median(timings.map((timing) => timing.completionTokens)),
    firstTokenMs: round(median(timings.map((timing) => timing.firstTokenMs))),
    totalMs: round(median(timings.map((timing) => timing.totalMs))),
    totalMsRange: [
      round(Math.min(...timings.map((timing) => timing.totalMs))),
      round(Math.max(...timings.map((timing) => timing.totalMs))),
    ],
    promptTokensPerSecond: round(
      median(timings.map((timing) => timing.promptTokens / (timing.firstTokenMs / 1000))),
      1,
    ),
    generatedTokensPerSecond: round(
      median(
        decoding.map(
          (timing) => (timing.completionTokens - 1) / ((timing.lastTokenMs - timing.firstTokenMs) / 1000),
        ),
      ),
      1,
    ),
  };
}
