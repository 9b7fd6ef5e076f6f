import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectStream } from '../models/collect-stream.ts';
import { perplexity } from '../models/perplexity.ts';
import type { GenerationRequest, GenerationSummary, Generator } from '../ports/generator.ts';
import { canScore, type RunnableModel, type ScoreRequest } from '../ports/runnable-model.ts';

/** What a replayed endpoint should answer next: the whole answer, one cut at maxTokens, or one that stalls. */
export type ScriptedGeneration = 'full' | 'cut' | 'stalled';

export type GeneratorFixture = {
  generator: Generator | RunnableModel;
  /** A request the generator answers in full (temperature 0), and that answer. */
  request: GenerationRequest;
  answer: string;
  /** How the full answer ends: 'stop', or 'length' for a model that never stops by itself. */
  finishReason: 'stop' | 'length';
  /** A maxTokens that cuts the answer short. */
  shortMaxTokens: number;
  /** For generators that answer from a replay server: lines up its next answers. */
  script?(...answers: ScriptedGeneration[]): void;
  /** For models that score: an answer the model finds likely and one it does not, to the same request. */
  scoring?: { likely: ScoreRequest; unlikely: ScoreRequest };
  /** Frees what the fixture holds besides the generator (a replay server, a temp folder). */
  close?(): Promise<void>;
};

// Half of a surrogate pair, or the replacement character a broken UTF-8 sequence decodes to.
const brokenCharacter = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\uFFFD/;

async function pieces(stream: AsyncGenerator<string, GenerationSummary>) {
  const seen: string[] = [];
  for (;;) {
    const step = await stream.next();
    if (step.done) return { pieces: seen, text: seen.join(''), summary: step.value };
    seen.push(step.value);
  }
}

/**
 * The behaviour every Generator must have: local checkpoint, GGUF file, OpenAI-compatible
 * endpoint, extractive fallback. A model that can score answers also passes the scoring rules.
 */
export function runGeneratorContract(name: string, create: () => Promise<GeneratorFixture>) {
  describe(`Generator contract: ${name}`, () => {
    let fixture: GeneratorFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(async () => {
      await fixture.generator.close();
      await fixture.close?.();
    });

    it('streams non-empty pieces of whole characters that join into the answer, with token counts', async () => {
      fixture.script?.('full');
      const { pieces: streamed, text, summary } = await pieces(fixture.generator.stream(fixture.request));
      expect(fixture.generator.id).toMatch(/\S/);
      expect(text).toBe(fixture.answer);
      expect(streamed.length).toBeGreaterThan(1);
      for (const piece of streamed) {
        expect(piece).not.toBe('');
        expect(piece).not.toMatch(brokenCharacter);
      }
      expect(summary.finishReason).toBe(fixture.finishReason);
      expect(summary.promptTokens).toBeGreaterThan(0);
      expect(summary.completionTokens).toBeGreaterThan(0);
      if (fixture.finishReason === 'length') expect(summary.completionTokens).toBe(fixture.request.maxTokens);
    });

    it('stops at maxTokens with finish reason length: a prefix of the answer, no more tokens than allowed', async () => {
      fixture.script?.('cut');
      const maxTokens = fixture.shortMaxTokens;
      const { text, summary } = await pieces(fixture.generator.stream({ ...fixture.request, maxTokens }));
      expect(summary.finishReason).toBe('length');
      expect(fixture.answer.startsWith(text)).toBe(true);
      expect(text.length).toBeLessThan(fixture.answer.length);
      expect(summary.completionTokens).toBeLessThanOrEqual(maxTokens);
    });

    it('stops when its signal aborts, with finish reason abort and the text so far', async () => {
      fixture.script?.('stalled');
      const controller = new AbortController();
      const stream = fixture.generator.stream({ ...fixture.request, signal: controller.signal });
      const first = await stream.next();
      expect(first.done).toBe(false);
      controller.abort();
      const rest = await pieces(stream);
      const text = `${first.value}${rest.text}`;
      expect(rest.summary.finishReason).toBe('abort');
      expect(fixture.answer.startsWith(text)).toBe(true);
      expect(text.length).toBeLessThan(fixture.answer.length);
    });

    it('says nothing for a signal aborted before it starts', async () => {
      fixture.script?.('full');
      const { pieces: streamed, summary } = await pieces(
        fixture.generator.stream({ ...fixture.request, signal: AbortSignal.abort() }),
      );
      expect(streamed).toEqual([]);
      expect(summary).toMatchObject({ finishReason: 'abort', completionTokens: 0 });
    });

    it('answers two requests at once, each in full', async () => {
      fixture.script?.('full', 'full');
      const [first, second] = await Promise.all([
        collectStream(fixture.generator.stream(fixture.request)),
        collectStream(fixture.generator.stream(fixture.request)),
      ]);
      expect(first.text).toBe(fixture.answer);
      expect(second.text).toBe(fixture.answer);
    });

    it('can be closed twice', async () => {
      await fixture.generator.close();
      await expect(fixture.generator.close()).resolves.toBeUndefined();
    });

    it('states whether it scores answers, and scores them as per-token log-probabilities when it does', async () => {
      const generator = fixture.generator;
      if (!('capabilities' in generator)) {
        expect(fixture.scoring).toBeUndefined();
        return;
      }
      expect(generator.capabilities.concurrency).toBeGreaterThanOrEqual(1);
      if (!canScore(generator)) {
        expect(generator.capabilities.scoreUnavailable).toMatch(/\S/);
        expect(fixture.scoring).toBeUndefined();
        return;
      }
      const scoring = fixture.scoring;
      if (!scoring)
        throw new Error(`${name} scores answers: give the fixture a likely and an unlikely answer`);
      const likely = await generator.score(scoring.likely);
      const unlikely = await generator.score(scoring.unlikely);
      for (const score of [likely, unlikely]) {
        expect(score.tokenLogProbabilities.length).toBeGreaterThan(0);
        for (const value of score.tokenLogProbabilities) {
          expect(Number.isFinite(value)).toBe(true);
          expect(value).toBeLessThanOrEqual(0);
        }
      }
      expect(perplexity(likely.tokenLogProbabilities)).toBeLessThan(
        perplexity(unlikely.tokenLogProbabilities),
      );
      // The same answer scores the same every time.
      expect((await generator.score(scoring.likely)).tokenLogProbabilities).toEqual(
        likely.tokenLogProbabilities,
      );
    });
  });
}
