import { describe, expect, it } from 'vitest';
import type { GenerationSummary } from '../ports/generator.ts';
import { collectStream } from './collect-stream.ts';

async function* pieces(
  texts: readonly string[],
  summary: GenerationSummary,
): AsyncGenerator<string, GenerationSummary> {
  for (const text of texts) yield text;
  return summary;
}

describe('collectStream', () => {
  it('joins the streamed pieces in order and keeps the summary the stream returned', async () => {
    const summary: GenerationSummary = { finishReason: 'length', promptTokens: 42, completionTokens: 3 };
    expect(await collectStream(pieces(['Roll', 'back is an ', 'alias move.'], summary))).toEqual({
      text: 'Rollback is an alias move.',
      finish: summary,
    });
  });

  it('gives an empty text for a stream that yields nothing', async () => {
    const summary: GenerationSummary = { finishReason: 'abort', promptTokens: 7, completionTokens: 0 };
    expect(await collectStream(pieces([], summary))).toEqual({ text: '', finish: summary });
  });

  it('passes on a failure of the stream', async () => {
    async function* failing(): AsyncGenerator<string, GenerationSummary> {
      yield 'partial';
      throw new Error('upstream closed the connection');
    }
    await expect(collectStream(failing())).rejects.toThrow('upstream closed the connection');
  });
});
