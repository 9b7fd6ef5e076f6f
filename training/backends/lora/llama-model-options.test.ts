import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import { softmaxCrossEntropy } from '../../../core/local-model/fast-ops.ts';
import { createSeededRandom, deriveSeed } from '../../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { expectClose } from './__fixtures__/gradient-checks.ts';
import { tensorSource, tinyLlama } from './__fixtures__/write-tiny-llama-gguf.ts';
import { parseLlamaConfig } from './llama-config.ts';
import { LlamaModel, type LogitsOptions } from './llama-model.ts';
import { llamaProjections } from './llama-tensors.ts';
import { LoraAdapters, type LoraSettings } from './lora-adapters.ts';
import { dropoutMask } from './lora-dropout.ts';
import { meanAnswerLoss } from './lora-training-loop.ts';

const tiny = tinyLlama();
const config = parseLlamaConfig(tiny.metadata);
const random = createSeededRandom(23);
const vocabulary = config.vocabularySize;
const example = (length: number) => Array.from({ length }, () => random.integer(vocabulary));
const examples = [example(7), example(5), example(12)];
const packed = examples.flat();
const segments = examples.map((tokens) => tokens.length);

/** Adapters with B random too, so that they change the output. */
function randomAdapters(settings: LoraSettings, seed: number): LoraAdapters {
  const source = createSeededRandom(seed);
  const fresh = LoraAdapters.create(config, settings, source);
  const values = fresh.exportValues();
  fresh.dispose();
  for (const pair of values.values()) pair.b = pair.b.map(() => 0.2 * source.normal());
  return LoraAdapters.fromValues(config, settings, values);
}

const values = (tensor: tf.Tensor) => {
  const data = Array.from(tensor.dataSync());
  tensor.dispose();
  return data;
};

/** Mean cross-entropy of each next token, and the gradients of every adapter variable. */
function lossAndGradients(model: LlamaModel, tokens: number[], options: LogitsOptions, lora: LoraAdapters) {
  const positions = Array.from({ length: tokens.length - 1 }, (_, index) => index);
  const { value, grads } = tf.variableGrads(
    () =>
      softmaxCrossEntropy(
        model.logits(tokens, { ...options, lora, positions }),
        tf.tensor1d(tokens.slice(1), 'int32'),
        tf.fill([positions.length], 1) as tf.Tensor1D,
      ),
    lora.variables,
  );
  const gradients = lora.variables.map((variable) => values(grads[variable.name] as tf.Tensor));
  return { loss: values(value)[0] as number, gradients };
}

describe('LlamaModel options for training', () => {
  let model: LlamaModel;
  const everywhere: LoraSettings = { rank: 2, alpha: 4, targets: llamaProjections };
  beforeAll(async () => {
    await initTfjs();
    model = await LlamaModel.load(config, tensorSource(tiny.tensors));
  });
  afterAll(() => model.dispose());

  it('gives each packed example exactly the logits it has alone', () => {
    const lora = randomAdapters(everywhere, 3);
    const together = values(model.logits(packed, { lora, segments }));
    const alone = examples.flatMap((tokens) => values(model.logits(tokens, { lora })));
    expectClose([together], [alone]);
    // Without segments the later examples read the earlier ones, and their logits differ.
    const unpacked = values(model.logits(packed, { lora }));
    const row = segments[0] as number;
    expect(
      Math.max(
        ...alone
          .slice(row * vocabulary, (row + 1) * vocabulary)
          .map((value, at) => Math.abs(value - (unpacked[row * vocabulary + at] as number))),
      ),
    ).toBeGreaterThan(0.01);
    lora.dispose();
  });

  it('trains on a packed row as on its examples one by one: summed losses, summed gradients', () => {
    const lora = randomAdapters(everywhere, 4);
    // A packed row's targets stop at each example's end: its last token predicts nothing.
    const positions: number[] = [];
    const targets: number[] = [];
    let start = 0;
    for (const tokens of examples) {
      for (let index = 0; index + 1 < tokens.length; index++) {
        positions.push(start + index);
        targets.push(tokens[index + 1] as number);
      }
      start += tokens.length;
    }
    const { value, grads } = tf.variableGrads(
      () =>
        softmaxCrossEntropy(
          model.logits(packed, { lora, segments, positions }),
          tf.tensor1d(targets, 'int32'),
          tf.fill([positions.length], 1) as tf.Tensor1D,
        ),
      lora.variables,
    );
    const apart = examples.map((tokens) => lossAndGradients(model, tokens, {}, lora));
    expect(values(value)[0]).toBeCloseTo(
      apart.reduce((sum, { loss }) => sum + loss, 0),
      4,
    );
    expectClose(
      lora.variables.map((variable) => values(grads[variable.name] as tf.Tensor)),
      lora.variables.map((_, index) =>
        apart[0]!.gradients[index]!.map((_, at) =>
          apart.reduce((sum, { gradients }) => sum + (gradients[index]![at] as number), 0),
        ),
      ),
      1e-4,
    );
    lora.dispose();
  });

  it('starts from cached hidden states below the first adapted layer, with the same logits and gradients', () => {
    const lora = randomAdapters({ ...everywhere, layers: [1] }, 5);
    expect(lora.firstLayer).toBe(1);
    const hidden = model.hiddenBelow(packed, 1, { segments });
    expect(hidden.shape).toEqual([packed.length, config.embeddingLength]);
    const from = { layer: 1, hidden };
    expect(values(model.logits(packed, { lora, segments, from }))).toEqual(
      values(model.logits(packed, { lora, segments })),
    );
    const before = tf.memory().numTensors;
    const cached = lossAndGradients(model, packed, { segments, from }, lora);
    expect(tf.memory().numTensors).toBe(before);
    const full = lossAndGradients(model, packed, { segments }, lora);
    expect(cached).toEqual(full);
    // Layer 0 is the embedding itself; the cache is the caller's and is left alone.
    expect(values(model.hiddenBelow(packed, 0))).toEqual(
      values(tf.gather(tf.tensor2d(tiny.tensors.get('token_embd.weight')!.values, [vocabulary, 64]), packed)),
    );
    expect(hidden.isDisposed).toBe(false);

    const everyLayer = randomAdapters(everywhere, 6);
    expect(() => model.logits(packed, { lora: everyLayer, from })).toThrow(
      new ValidationError('the adapters start at layer 0, below the cached hidden states of layer 1'),
    );
    expect(() => model.logits(packed.slice(1), { lora, from })).toThrow(
      `cached hidden states are [24, 64], the tokens need [23, 64]`,
    );
    expect(() => model.hiddenBelow(packed, 3)).toThrow('layer 3 is not one of the model’s 0..2');
    everyLayer.dispose();
    hidden.dispose();
    lora.dispose();
  });

  it('refuses segments that do not tile the tokens', () => {
    expect(() => model.logits(packed, { segments: [7, 5, 11] })).toThrow(
      new ValidationError('segments [7, 5, 11] are not positive lengths adding up to the 24 tokens'),
    );
    expect(() => model.logits(packed, { segments: [0, 24] })).toThrow('are not positive lengths');
  });

  it('drops adapter inputs as PEFT does: seeded masks of 0 and 1/(1 − rate), on the adapter path only', () => {
    // The mask of `blk.0.attn_q.weight` for seed 9: our generator, seeded by tensor name.
    const draw = createSeededRandom(deriveSeed(9, 'blk.0.attn_q.weight'));
    const expected = Array.from({ length: 12 }, () => (draw.next() < 0.25 ? 0 : 4 / 3));
    expect(values(dropoutMask([3, 4], { rate: 0.25, seed: 9 }, 'blk.0.attn_q.weight'))).toEqual(
      expected.map(Math.fround),
    );
    expect(expected.filter((value) => value === 0).length).toBe(4);

    const tokens = examples[2] as number[];
    const lora = randomAdapters(everywhere, 7);
    const plain = values(model.logits(tokens, { lora }));
    const dropped = values(model.logits(tokens, { lora, dropout: { rate: 0.5, seed: 1 } }));
    expect(values(model.logits(tokens, { lora, dropout: { rate: 0.5, seed: 1 } }))).toEqual(dropped);
    expect(values(model.logits(tokens, { lora, dropout: { rate: 0, seed: 1 } }))).toEqual(plain);
    const difference = (first: number[], second: number[]) =>
      Math.max(...first.map((value, at) => Math.abs(value - (second[at] as number))));
    expect(difference(dropped, plain)).toBeGreaterThan(0.01);
    expect(
      difference(dropped, values(model.logits(tokens, { lora, dropout: { rate: 0.5, seed: 2 } }))),
    ).toBeGreaterThan(0.01);
    // With B zero the adapter path adds nothing: dropout leaves the frozen model untouched.
    const fresh = LoraAdapters.create(config, everywhere, createSeededRandom(8));
    expect(values(model.logits(tokens, { lora: fresh, dropout: { rate: 0.5, seed: 1 } }))).toEqual(
      values(model.logits(tokens)),
    );
    expect(() => model.logits(tokens, { lora, dropout: { rate: 1, seed: 1 } })).toThrow(
      'LoRA dropout rate 1 is not in [0, 1)',
    );
    fresh.dispose();
    lora.dispose();
  });

  it('keeps packed weights for the gradients on request, computing exactly the same', async () => {
    const packedWeights = await LlamaModel.load(config, tensorSource(tiny.tensors), {
      keepPackedGradientWeights: true,
    });
    const lora = randomAdapters(everywhere, 9);
    const options = { segments, dropout: { rate: 0.1, seed: 3 } };
    expect(lossAndGradients(packedWeights, packed, options, lora)).toEqual(
      lossAndGradients(model, packed, options, lora),
    );
    packedWeights.dispose();
    lora.dispose();
  });

  it('gives the same validation loss from cached hidden states as from the tokens', () => {
    const lora = randomAdapters({ rank: 2, alpha: 4, targets: ['attn_v', 'ffn_down'], layers: [1] }, 9);
    const rows = examples.map((tokens) => ({ tokens: Int32Array.from(tokens), answerStart: 3 }));
    const below = rows.map((row) => model.hiddenBelow(row.tokens, lora.firstLayer));
    try {
      expect(meanAnswerLoss(model, lora, rows, undefined, below)).toBeCloseTo(
        meanAnswerLoss(model, lora, rows),
        5,
      );
    } finally {
      tf.dispose(below);
      lora.dispose();
    }
  });
});
