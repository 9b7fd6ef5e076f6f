import * as tf from '@tensorflow/tfjs';
import { createSeededRandom, deriveSeed } from '../../../core/local-model/seeded-random.ts';

/**
 * LoRA dropout as PEFT applies `lora_dropout`: during training only, each adapter's input is
 * passed through its own nn.Dropout (elements zeroed with probability `rate`, the rest scaled by
 * 1/(1 − rate)) before A, while the frozen product sees the whole input. `seed` picks the masks;
 * give each training step its own (e.g. `deriveSeed(runSeed, `step ${step}`)`) or every step
 * drops the same elements.
 */
export type LoraDropout = { rate: number; seed: number };

/**
 * The dropout mask [rows, columns] of one adapter (`label`: its base tensor's name, so q, k and v
 * of a layer, which read the same input, drop different elements as PEFT's separate modules do):
 * 0 with probability `rate`, else 1/(1 − rate). Our own seeded generator, not tfjs's, so the masks
 * repeat whichever backend runs them.
 */
export function dropoutMask(shape: readonly number[], dropout: LoraDropout, label: string): tf.Tensor2D {
  const [rows, columns] = shape as [number, number];
  const random = createSeededRandom(deriveSeed(dropout.seed, label));
  const kept = 1 / (1 - dropout.rate);
  const values = new Float32Array(rows * columns);
  for (let index = 0; index < values.length; index++) values[index] = random.next() < dropout.rate ? 0 : kept;
  return tf.tensor2d(values, [rows, columns]);
}
