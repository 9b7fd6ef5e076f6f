import * as tf from '@tensorflow/tfjs';
import { createSeededRandom, deriveSeed } from '../../../core/local-model/seeded-random.ts';
import type { TransformerModel } from '../../../core/local-model/transformer-model.ts';
import type { LossPoint } from '../../../core/types/model-version.ts';
import { AdamOptimizer } from './adam-optimizer.ts';
import { learningRateFor } from './learning-rate-schedule.ts';
import type { LocalHyperparameters } from './local-hyperparameters.ts';
import { batchesOf, type TrainingRow, toTokenBatch } from './pack-training-rows.ts';

export type TrainingLoopResult = {
  lossCurve: LossPoint[];
  /** Mean training loss over the steps since the previous curve point, at the end. */
  trainLoss: number;
  validationLoss: number | null;
  /** Real (non-padding) input tokens per second of optimisation, evaluation excluded. */
  tokensPerSecond: number;
  trainTokens: number;
};

export type TrainingLoopHooks = {
  signal: AbortSignal;
  onPoint(point: LossPoint): void;
  onProgress(
    step: number,
    status: { trainLoss: number; validationLoss: number | null; tokensPerSecond: number },
  ): Promise<void>;
};

/**
 * Trains `model` in place: seeded batches, AdamW with warmup and decay, global-norm clipping.
 * A curve point (mean train loss since the last point, validation loss) is taken at step 0
 * (before any update, which is where a warm start shows), every `evalEvery` steps and after the
 * last update. The abort signal is checked between steps; aborting throws its reason.
 */
export async function runTrainingLoop(
  model: TransformerModel,
  data: { train: TrainingRow[]; validation: TrainingRow[] },
  hyperparameters: LocalHyperparameters,
  hooks: TrainingLoopHooks,
): Promise<TrainingLoopResult> {
  const { steps, batchSize, evalEvery } = hyperparameters;
  const random = createSeededRandom(deriveSeed(hyperparameters.seed, 'batches'));
  const dropoutRandom = createSeededRandom(deriveSeed(hyperparameters.seed, 'dropout'));
  const batches = batchesOf(data.train, batchSize, random);
  const validationRows = data.validation.slice(0, hyperparameters.maxValidationRows);
  const optimizer = new AdamOptimizer(model.variables, { weightDecay: hyperparameters.weightDecay });
  const lossCurve: LossPoint[] = [];
  let recentLosses: number[] = [];
  let trainTokens = 0;
  let trainMilliseconds = 0;
  let validationLoss: number | null = null;
  const tokensPerSecond = () => (trainMilliseconds > 0 ? (trainTokens * 1000) / trainMilliseconds : 0);
  const record = async (step: number) => {
    validationLoss = validationRows.length > 0 ? evaluateRows(model, validationRows, batchSize) : null;
    const trainLoss = mean(recentLosses);
    const point = { step, trainLoss, validationLoss };
    lossCurve.push(point);
    hooks.onPoint(point);
    recentLosses = [];
    await hooks.onProgress(step, { trainLoss, validationLoss, tokensPerSecond: tokensPerSecond() });
  };

  try {
    for (let step = 0; step < steps; step++) {
      hooks.signal.throwIfAborted();
      const rows = batches.next().value as TrainingRow[];
      const batch = toTokenBatch(rows, { normalise: true });
      const started = performance.now();
      const { value, grads } = tf.variableGrads(
        () => model.loss(batch, { random: dropoutRandom }),
        model.variables,
      );
      const loss = (await value.data())[0] as number;
      optimizer.step(
        model.variables.map((variable) => grads[variable.name] as tf.Tensor),
        learningRateFor(step, hyperparameters),
        hyperparameters.gradientClip,
      );
      tf.dispose([value, ...Object.values(grads)]);
      trainMilliseconds += performance.now() - started;
      trainTokens += rows.reduce((sum, row) => sum + Math.min(row.tokens, row.ids.length - 1), 0);
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at step ${step}`);
      recentLosses.push(loss);
      if (step === 0 || step % evalEvery === 0) await record(step);
      else if (step % 10 === 0) {
        await hooks.onProgress(step, { trainLoss: loss, validationLoss, tokensPerSecond: tokensPerSecond() });
      }
      // Yield to the event loop so cancellation, progress writes and other jobs get their turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    hooks.signal.throwIfAborted();
    if (recentLosses.length > 0) await record(steps);
    const last = lossCurve[lossCurve.length - 1] as LossPoint;
    return {
      lossCurve,
      trainLoss: last.trainLoss,
      validationLoss: last.validationLoss,
      tokensPerSecond: tokensPerSecond(),
      trainTokens,
    };
  } finally {
    optimizer.dispose();
  }
}

/** Token-weighted mean loss of rows (no gradients, no dropout). */
export function evaluateRows(model: TransformerModel, rows: TrainingRow[], batchSize: number): number {
  let total = 0;
  let count = 0;
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = toTokenBatch(rows.slice(start, start + batchSize), { normalise: false });
    const loss = model.loss(batch);
    total += loss.dataSync()[0] as number;
    loss.dispose();
    count += batch.weights.reduce((sum, weight) => sum + weight, 0);
  }
  return count > 0 ? total / count : Number.NaN;
}

function mean(values: number[]): number {
  return values.length > 0 ? values.reduce((sum, value) => sum + value, 0) / values.length : Number.NaN;
}
