import * as tf from '@tensorflow/tfjs';
import { BpeTokenizer } from '../bpe-tokenizer.ts';
import { ChatFormat } from '../chat-format.ts';
import { type LocalModelConfig, localModelPresets } from '../model-config.ts';
import { initTfjs } from '../tfjs-runtime.ts';
import { type TokenBatch, TransformerModel } from '../transformer-model.ts';

export type Pair = { instruction: string; answer: string };

/**
 * Trains a ci-sized model until it has memorised a few pairs: the smallest real model for tests of
 * core/local-model, which must not import the training pipeline. Plain tfjs Adam, whole data set
 * as one batch, each window padded to the longest.
 */
export async function memorise(
  pairs: Pair[],
  options: { steps?: number; learningRate?: number; config?: Partial<LocalModelConfig> } = {},
): Promise<{ model: TransformerModel; tokenizer: BpeTokenizer }> {
  await initTfjs();
  const texts = pairs.flatMap((pair) => [pair.instruction, pair.answer]);
  const tokenizer = BpeTokenizer.train(texts, { vocabSize: 320 });
  const config: LocalModelConfig = {
    ...localModelPresets.ci,
    ...options.config,
    vocabSize: tokenizer.vocabSize,
  };
  const model = TransformerModel.create(config);
  const format = new ChatFormat(tokenizer, { contextLength: config.contextLength });
  const windows = pairs.flatMap((pair) =>
    format.toWindows(format.formatExample(pair.instruction, pair.answer)),
  );
  const length = Math.max(...windows.map((window) => window.ids.length)) - 1;
  const batch: TokenBatch = {
    rows: windows.length,
    length,
    inputs: new Int32Array(windows.length * length),
    targets: new Int32Array(windows.length * length),
    weights: new Float32Array(windows.length * length),
  };
  const masked = windows.reduce(
    (sum, window) => sum + window.lossMask.slice(1).reduce((a, b) => a + b, 0),
    0,
  );
  windows.forEach((window, row) => {
    for (let position = 0; position + 1 < window.ids.length; position++) {
      batch.inputs[row * length + position] = window.ids[position] as number;
      batch.targets[row * length + position] = window.ids[position + 1] as number;
      batch.weights[row * length + position] = (window.lossMask[position + 1] as number) / masked;
    }
  });
  const optimizer = tf.train.adam(options.learningRate ?? 0.01);
  for (let step = 0; step < (options.steps ?? 120); step++) {
    const loss = optimizer.minimize(() => model.loss(batch), true, model.variables);
    loss?.dispose();
  }
  optimizer.dispose();
  return { model, tokenizer };
}
