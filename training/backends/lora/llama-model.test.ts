import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import { softmaxCrossEntropy } from '../../../core/local-model/fast-ops.ts';
import { createSeededRandom } from '../../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { expectClose } from './__fixtures__/gradient-checks.ts';
import { tensorSource, tinyLlama } from './__fixtures__/write-tiny-llama-gguf.ts';
import { parseLlamaConfig } from './llama-config.ts';
import { LlamaModel, type LlamaTensor } from './llama-model.ts';
import { logSoftmax } from './log-softmax.ts';
import { LoraAdapters, type LoraPairValues, type LoraSettings } from './lora-adapters.ts';

const tiny = tinyLlama();
const config = parseLlamaConfig(tiny.metadata);
const random = createSeededRandom(11);
const tokens = Array.from({ length: 24 }, () => random.integer(config.vocabularySize));
const vocabulary = config.vocabularySize;

/** Adapters on the given projections with B random too, so that they change the output. */
function randomAdapters(settings: LoraSettings, seed: number): LoraAdapters {
  const source = createSeededRandom(seed);
  const fresh = LoraAdapters.create(config, settings, source);
  const values = fresh.exportValues();
  fresh.dispose();
  for (const pair of values.values()) pair.b = pair.b.map(() => 0.2 * source.normal());
  return LoraAdapters.fromValues(config, settings, values);
}

const rows = (logits: tf.Tensor2D) => {
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  return values;
};

describe('LlamaModel', () => {
  let model: LlamaModel;
  beforeAll(async () => {
    await initTfjs();
    model = await LlamaModel.load(config, tensorSource(tiny.tensors));
  });
  afterAll(() => model.dispose());

  it('is the base model exactly while B is zero', () => {
    const lora = LoraAdapters.create(
      config,
      {
        rank: 4,
        alpha: 8,
        targets: ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'],
      },
      createSeededRandom(2),
    );
    expect(Array.from(rows(model.logits(tokens, { lora })))).toEqual(Array.from(rows(model.logits(tokens))));
    lora.dispose();
  });

  it('with an adapter on one projection, equals the base with W + (alpha/r)·B·A merged into that weight', async () => {
    const settings: LoraSettings = { rank: 3, alpha: 6, targets: ['ffn_up'], layers: [1] };
    const lora = randomAdapters(settings, 5);
    const { a, b } = lora.exportValues().get('blk.1.ffn_up.weight') as LoraPairValues;
    const base = tiny.tensors.get('blk.1.ffn_up.weight') as LlamaTensor;
    const [inputs, outputs] = base.dimensions as [number, number];
    // W is `outputs` rows of `inputs`; (B·A)[o][i] = Σᵣ B[o][r]·A[r][i]; alpha/r = 2.
    const merged = Float32Array.from(base.values, (value, at) => {
      const [output, input] = [Math.floor(at / inputs), at % inputs];
      let update = 0;
      for (let r = 0; r < 3; r++) update += (b[output * 3 + r] as number) * (a[r * inputs + input] as number);
      return value + 2 * update;
    });
    expect(outputs).toBe(128);
    const tensors = new Map(tiny.tensors);
    tensors.set('blk.1.ffn_up.weight', { dimensions: base.dimensions, values: merged });
    const mergedModel = await LlamaModel.load(config, tensorSource(tensors));
    const adapted = rows(model.logits(tokens, { lora }));
    expectClose([adapted], [rows(mergedModel.logits(tokens))]);
    // And the adapter matters: the base model's logits are elsewhere.
    const baseLogits = rows(model.logits(tokens));
    expect(
      Math.max(...adapted.map((value, at) => Math.abs(value - (baseLogits[at] as number)))),
    ).toBeGreaterThan(0.1);
    mergedModel.dispose();
    lora.dispose();
  });

  it('computes the head for the asked positions only, and next-token log-probabilities', () => {
    const all = rows(model.logits(tokens));
    const some = rows(model.logits(tokens, { positions: [3, 0, 23] }));
    expectClose(
      [some],
      [
        [
          ...all.subarray(3 * vocabulary, 4 * vocabulary),
          ...all.subarray(0, vocabulary),
          ...all.subarray(23 * vocabulary),
        ],
      ],
    );
    const next = model.nextTokenLogProbabilities(tokens);
    expect(next.length).toBe(vocabulary);
    expect(next.reduce((sum, value) => sum + Math.exp(value), 0)).toBeCloseTo(1, 9);
    expectClose([next], [logSoftmax(all.subarray(23 * vocabulary))]);
  });

  it('refuses tokens and positions outside the model', () => {
    expect(() => model.logits([])).toThrow(new ValidationError('need 1 to 512 tokens, got 0'));
    expect(() => model.logits([1, 300])).toThrow('token 300 at 1 is not in the 300-token vocabulary');
    expect(() => model.logits([1, 2.5])).toThrow('token 2.5 at 1 is not in the 300-token vocabulary');
    expect(() => model.logits([1, 2], { positions: [2] })).toThrow('position 2 is outside the 2 tokens');
  });

  it('refuses weights it would not use as llama.cpp does, before loading any', async () => {
    const tensors = new Map(tiny.tensors);
    tensors.set('blk.0.attn_q.bias', { dimensions: [64], values: new Float32Array(64) });
    tensors.set('rope_freqs.weight', { dimensions: [8], values: new Float32Array(8) });
    const before = tf.memory().numTensors;
    await expect(LlamaModel.load(config, tensorSource(tensors))).rejects.toThrow(
      new ValidationError(
        'the model has tensors this llama forward pass does not implement: blk.0.attn_q.bias, rope_freqs.weight',
      ),
    );
    const missing = new Map(tiny.tensors);
    missing.delete('blk.1.ffn_norm.weight');
    await expect(LlamaModel.load(config, tensorSource(missing))).rejects.toThrow(
      'the model lacks tensors: blk.1.ffn_norm.weight',
    );
    const transposed = new Map(tiny.tensors);
    transposed.set('blk.0.attn_k.weight', { dimensions: [32, 64], values: new Float32Array(2048) });
    await expect(LlamaModel.load(config, tensorSource(transposed))).rejects.toThrow(
      'tensor blk.0.attn_k.weight has dimensions [32, 64], the config needs [64, 32]',
    );
    // The tensors loaded before the bad one are freed.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains the adapters only: gradients match finite differences and no tensor is left behind', () => {
    const lora = randomAdapters({ rank: 2, alpha: 4, targets: ['attn_q', 'attn_v', 'ffn_down'] }, 7);
    const positions = [5, 6, 7, 15, 22];
    const loss = () =>
      tf.tidy(() =>
        softmaxCrossEntropy(
          model.logits(tokens, { lora, positions }),
          tf.tensor1d(
            positions.map((position) => tokens[position + 1] as number),
            'int32',
          ),
          tf.fill([positions.length], 1 / positions.length) as tf.Tensor1D,
        ),
      );
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(loss, lora.variables);
    expect(Object.keys(grads).sort()).toEqual(lora.variables.map((variable) => variable.name).sort());
    value.dispose();
    // Each checked along a random direction: (L(θ + εd) − L(θ − εd)) / 2ε against ∇L·d.
    for (const [layer, projection] of [
      [0, 'attn_q'],
      [1, 'ffn_down'],
    ] as const) {
      for (const variable of Object.values(lora.adapter(layer, projection) ?? {})) {
        if (!(variable instanceof tf.Variable)) continue;
        const direction = tf.randomNormal(variable.shape, 0, 1, 'float32', 9);
        const original = tf.clone(variable);
        const analytic = tf.tidy(
          () => tf.sum(tf.mul(grads[variable.name] as tf.Tensor, direction)).dataSync()[0] as number,
        );
        const epsilon = 3e-3;
        const lossAt = (step: number) => {
          tf.tidy(() => variable.assign(tf.add(original, tf.mul(direction, step))));
          return tf.tidy(() => loss().dataSync()[0] as number);
        };
        const [plus, minus] = [lossAt(epsilon), lossAt(-epsilon)];
        variable.assign(original);
        // float32 losses near 6 differ by ~1e-6 per evaluation: about 3e-4 of noise after / 2ε.
        expect(Math.abs((plus - minus) / (2 * epsilon) - analytic)).toBeLessThan(
          2e-3 + 0.01 * Math.abs(analytic),
        );
        tf.dispose([direction, original]);
      }
    }
    tf.dispose(grads);
    expect(tf.memory().numTensors).toBe(before);
    lora.dispose();
  });
});
