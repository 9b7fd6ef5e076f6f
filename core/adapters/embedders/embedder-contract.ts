import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../../ports/embedder.ts';

/**
 * Texts every adapter is checked with; the OpenAI replay fixture holds a recorded vector for each.
 * Short, distinct, and all inside the tiny test model's vocabulary.
 */
export const contractTexts: readonly string[] = [
  'The cat sat on the mat.',
  'Dogs are loyal animals.',
  'I love writing TypeScript code every day.',
  'Quantum physics is hard.',
  'We bake warm bread in the oven.',
  'Vector search for a small language model.',
  'The feature store feeds the training pipeline.',
  'hello world',
];

/** Largest gap between two vectors' components. */
export function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let index = 0; index < a.length; index++)
    max = Math.max(max, Math.abs((a[index] ?? 0) - (b[index] ?? 0)));
  return max;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}

/** Float32 rounding of engines that reduce in a batch-shaped order; the port's invariance bound. */
const batchTolerance = 1e-6;

/**
 * The Embedder port's contract, run against every adapter (like Hono runs every router through
 * one suite). `create` must give a fresh embedder whose maxBatchSize is small (3 or 4 is ideal):
 * the suite embeds more than two batches' worth of texts, which adapters split themselves in
 * order (the port lets callers split, but an adapter handed a larger input must not break).
 */
export function runEmbedderContract(name: string, create: () => Promise<Embedder>): void {
  describe(`${name} honours the Embedder contract`, () => {
    let embedder: Embedder;
    let alone: Float32Array[];

    beforeAll(async () => {
      embedder = await create();
      alone = [];
      for (const text of contractTexts) {
        const [vector] = await embedder.embed([text]);
        if (!vector) throw new Error(`no vector for ${text}`);
        alone.push(vector);
      }
    });

    afterAll(async () => {
      await embedder?.close();
    });

    it('states an id, its dimensions and its batch size', () => {
      expect(embedder.id).toMatch(/\S/);
      expect(Number.isInteger(embedder.dimensions) && embedder.dimensions > 0).toBe(true);
      expect(Number.isInteger(embedder.maxBatchSize) && embedder.maxBatchSize > 0).toBe(true);
    });

    it('returns one finite unit-length Float32Array of the stated size per text', async () => {
      const vectors = await embedder.embed(contractTexts);
      expect(vectors).toHaveLength(contractTexts.length);
      for (const vector of vectors) {
        expect(vector).toBeInstanceOf(Float32Array);
        expect(vector.length).toBe(embedder.dimensions);
        expect(vector.every(Number.isFinite)).toBe(true);
        expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 5);
      }
    });

    it('gives different texts different vectors and the same text the same vector', async () => {
      const [first, second] = alone;
      expect(maxDifference(first!, second!)).toBeGreaterThan(1e-3);
      const [again] = await embedder.embed([contractTexts[0]!]);
      expect(maxDifference(again!, first!)).toBeLessThanOrEqual(batchTolerance);
    });

    it('embeds a text the same alone as inside a batch, in input order', async () => {
      const forward = await embedder.embed(contractTexts);
      const backward = await embedder.embed([...contractTexts].reverse());
      contractTexts.forEach((_, index) => {
        expect(maxDifference(forward[index]!, alone[index]!)).toBeLessThanOrEqual(batchTolerance);
        expect(maxDifference(backward[contractTexts.length - 1 - index]!, alone[index]!)).toBeLessThanOrEqual(
          batchTolerance,
        );
      });
    });

    it('handles more texts than maxBatchSize, keeping their order', async () => {
      const count = embedder.maxBatchSize * 2 + 1;
      const texts = Array.from({ length: count }, (_, index) => contractTexts[index % contractTexts.length]!);
      const vectors = await embedder.embed(texts);
      expect(vectors).toHaveLength(count);
      vectors.forEach((vector, index) => {
        expect(maxDifference(vector, alone[index % contractTexts.length]!)).toBeLessThanOrEqual(
          batchTolerance,
        );
      });
    });

    it('returns [] for no texts', async () => {
      await expect(embedder.embed([])).resolves.toEqual([]);
    });

    it('rejects an empty string with a ValidationError and keeps working', async () => {
      await expect(embedder.embed(['hello world', ''])).rejects.toMatchObject({
        name: 'ValidationError',
        message: expect.stringContaining('index 1'),
      });
      const [vector] = await embedder.embed(['hello world']);
      expect(maxDifference(vector!, alone[contractTexts.indexOf('hello world')]!)).toBeLessThanOrEqual(
        batchTolerance,
      );
    });

    it('closes, after which it refuses work', async () => {
      const other = await create();
      await other.embed([contractTexts[0]!]);
      await other.close();
      await expect(other.close()).resolves.toBeUndefined();
      await expect(other.embed([contractTexts[0]!])).rejects.toThrow(/closed/i);
    });
  });
}
