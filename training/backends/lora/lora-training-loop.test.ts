import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { expectClose } from './__fixtures__/gradient-checks.ts';
import { tensorSource, tinyLlama } from './__fixtures__/write-tiny-llama-gguf.ts';
import { HiddenStateCache } from './hidden-state-cache.ts';
import { parseLlamaConfig } from './llama-config.ts';
import { LlamaModel } from './llama-model.ts';
import { llamaProjections } from './llama-tensors.ts';
import { LoraAdapters, type LoraSettings } from './lora-adapters.ts';
import { parseLoraHyperparameters } from './lora-hyperparameters.ts';
import { type LoraRow, packRows } from './lora-rows.ts';
import { type LoraLoopResult, runLoraTrainingLoop } from './lora-training-loop.ts';

const tiny = tinyLlama();
const config = parseLlamaConfig(tiny.metadata);
const random = createSeededRandom(41);
const row = (length: number, answerStart: number): LoraRow => ({
  tokens: Int32Array.from({ length }, () => random.integer(config.vocabularySize)),
  answerStart,
});
const train = [row(9, 4), row(14, 6), row(6, 2), row(11, 5), row(8, 3)];
const validation = [row(10, 4), row(7, 3)];
// Only the top block is adapted: block 0 is frozen, so its output is what the cache keeps.
const settings: LoraSettings = { rank: 2, alpha: 4, targets: llamaProjections, layers: [1] };
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('the LoRA training loop', () => {
  let model: LlamaModel;
  beforeAll(async () => {
    await initTfjs();
    model = await LlamaModel.load(config, tensorSource(tiny.tensors));
  });
  afterAll(() => model.dispose());

  it("gives a pack the states its rows' cached states make end to end, computing only new rows", () => {
    const cache = new HiddenStateCache(model, 1, Number.POSITIVE_INFINITY);
    const [pack] = packRows(train.slice(0, 3), 64);
    const rows = pack!.rows;
    const expected = model.hiddenBelow(pack!.tokens, 1, { segments: pack!.segments });
    // Row 1 first, alone; then the pack of rows 0..2 reuses it and computes 0 and 2 together.
    cache.forPack([rows[1]!]).dispose();
    expect(cache.size).toBe(1);
    const packed = cache.forPack(rows);
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(sum(rows.map((one) => one.tokens.length)) * config.embeddingLength * 4);
    expectClose([packed.dataSync()], [expected.dataSync()], 1e-5);
    // A repeated row in one pack (a batch larger than the split) is computed once.
    cache.clear();
    const twice = cache.forPack([rows[0]!, rows[0]!]);
    expect(cache.size).toBe(1);
    expect(twice.shape).toEqual([2 * rows[0]!.tokens.length, config.embeddingLength]);
    tf.dispose([packed, expected, twice]);
  });

  it('keeps rows only up to its budget, and still gives the rest their states', () => {
    const bytes = (one: LoraRow) => one.tokens.length * config.embeddingLength * 4;
    const cache = new HiddenStateCache(model, 1, bytes(train[0]!) + bytes(train[1]!) - 1);
    const states = cache.forPack(train.slice(0, 2));
    // The first row fits; the second would pass the budget by a byte.
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(bytes(train[0]!));
    expect(states.shape[0]).toBe(train[0]!.tokens.length + train[1]!.tokens.length);
    states.dispose();
  });

  it('trains exactly as without the cache, over several epochs, holding no tensor afterwards', async () => {
    const run = async (hiddenCacheMegabytes: number) => {
      const lora = LoraAdapters.create(config, settings, createSeededRandom(3));
      const hyperparameters = parseLoraHyperparameters({
        steps: 6,
        batchSize: 2,
        maxSequenceTokens: 32,
        learningRate: 0.01,
        evalEvery: 2,
        hiddenCacheMegabytes,
      });
      const before = tf.memory().numTensors;
      const result = await runLoraTrainingLoop(model, lora, { train, validation }, hyperparameters, {
        signal: new AbortController().signal,
        onPoint: () => undefined,
        onProgress: async () => undefined,
      });
      const adapters = [...lora.exportValues().values()].flatMap((pair) => [pair.a, pair.b]);
      lora.dispose();
      expect(tf.memory().numTensors).toBe(before - lora.variables.length);
      return { result, adapters };
    };
    const cached = await run(512);
    const uncached = await run(0);
    // 6 steps of 2 rows from 5: every row came back at least once.
    expect(cached.result.hiddenCache).toEqual({
      rows: 5,
      bytes: sum(train.map((one) => one.tokens.length)) * config.embeddingLength * 4,
    });
    expect(uncached.result.hiddenCache).toBeNull();
    const losses = (result: LoraLoopResult) =>
      result.lossCurve.flatMap((point) => [point.trainLoss, point.validationLoss ?? Number.NaN]);
    expectClose([losses(cached.result)], [losses(uncached.result)], 1e-5);
    expectClose(cached.adapters, uncached.adapters, 1e-5);
  });
});
