import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropy } from '../../../core/local-model/fast-ops.ts';
import { createSeededRandom, deriveSeed } from '../../../core/local-model/seeded-random.ts';
import type { LossPoint } from '../../../core/types/model-version.ts';
import { AdamOptimizer } from '../local/adam-optimizer.ts';
import { learningRateFor } from '../local/learning-rate-schedule.ts';
import { batchesOf } from '../local/pack-training-rows.ts';
import type { TrainingLoopHooks } from '../local/training-loop.ts';
import { HiddenStateCache } from './hidden-state-cache.ts';
import type { LlamaModel } from './llama-model.ts';
import type { LoraAdapters } from './lora-adapters.ts';
import { checkpointOptimizerState, checkpointTensors, type LoraCheckpoint } from './lora-checkpoint.ts';
import type { LoraHyperparameters } from './lora-hyperparameters.ts';
import { answerTargets, type LoraRow, packRows } from './lora-rows.ts';

export type LoraLoopResult = {
  lossCurve: LossPoint[];
  trainLoss: number;
  validationLoss: number | null;
  /** Tokens (prompt and answer) through forward and backward per second of optimisation. */
  tokensPerSecond: number;
  trainTokens: number;
  /** The step the run started from: 0, or where a checkpoint left it. */
  resumedFrom: number;
  /** Training rows whose frozen-layer states were kept, and their bytes (null: no frozen layers or no budget). */
  hiddenCache: { rows: number; bytes: number } | null;
};

/** The local trainer's hooks, and what a resumable run adds to them. */
export type LoraLoopHooks = TrainingLoopHooks & {
  /** Where the run resumes from (a checkpoint of this same run), if anywhere. */
  resume?: LoraCheckpoint;
  /** Stores a checkpoint; called every `checkpointEvery` steps. */
  saveCheckpoint?(checkpoint: Omit<LoraCheckpoint, 'fingerprint'>): Promise<void>;
};

/**
 * Trains the LoRA adapters of a frozen base: each step accumulates the gradients of `batchSize`
 * examples (the loss is the mean over all their answer tokens), then one AdamW update with warmup
 * and decay and global-norm clipping; examples are packed into shared forward passes (see packRows)
 * and LoRA dropout draws fresh masks every step from the seed; with the lowest layers frozen, each
 * row's hidden states below the adapters are computed once (see HiddenStateCache). A curve point (mean train loss since the last one and the
 * validation loss) is taken at step 0, every `evalEvery` steps and after the last. Batches come
 * from a seeded shuffle, so a run resumed from a checkpoint sees exactly the batches it would have
 * seen; the abort signal is checked between examples.
 */
export async function runLoraTrainingLoop(
  model: LlamaModel,
  lora: LoraAdapters,
  data: { train: LoraRow[]; validation: LoraRow[] },
  hyperparameters: LoraHyperparameters,
  hooks: LoraLoopHooks,
): Promise<LoraLoopResult> {
  const { steps, batchSize, evalEvery, checkpointEvery } = hyperparameters;
  const batches = batchesOf(
    data.train,
    batchSize,
    createSeededRandom(deriveSeed(hyperparameters.seed, 'batches')),
  );
  const validation = data.validation.slice(0, hyperparameters.maxValidationRows);
  // The frozen blocks below the first adapted one give every row the same hidden states at every
  // step and check: computed once and kept, later passes run only the adapted blocks (the demo
  // preset's top 20 of 30: a third of a forward pass saved). Validation rows are few (at most
  // maxValidationRows) and always kept; training rows up to the budget.
  const frozenBelow = lora.firstLayer > 0;
  const trainStates =
    frozenBelow && hyperparameters.hiddenCacheMegabytes > 0
      ? new HiddenStateCache(model, lora.firstLayer, hyperparameters.hiddenCacheMegabytes * 2 ** 20)
      : undefined;
  const validationStates = frozenBelow
    ? new HiddenStateCache(model, lora.firstLayer, Number.POSITIVE_INFINITY)
    : undefined;
  const optimizer = new AdamOptimizer(lora.variables, { weightDecay: hyperparameters.weightDecay });
  const resume = hooks.resume;
  const lossCurve: LossPoint[] = resume ? [...resume.lossCurve] : [];
  let recentLosses: number[] = resume ? [...resume.recentLosses] : [];
  let trainTokens = resume?.trainTokens ?? 0;
  let trainMilliseconds = resume?.trainMilliseconds ?? 0;
  let validationLoss: number | null = lossCurve.at(-1)?.validationLoss ?? null;
  const startStep = resume?.step ?? 0;
  const tokensPerSecond = () => (trainMilliseconds > 0 ? (trainTokens * 1000) / trainMilliseconds : 0);
  const record = async (step: number) => {
    const below = validationStates && validation.map((row) => validationStates.forPack([row]));
    try {
      validationLoss =
        validation.length > 0 ? meanAnswerLoss(model, lora, validation, hooks.signal, below) : null;
    } finally {
      if (below) tf.dispose(below);
    }
    const point = { step, trainLoss: mean(recentLosses), validationLoss };
    lossCurve.push(point);
    hooks.onPoint(point);
    recentLosses = [];
    await hooks.onProgress(step, {
      trainLoss: point.trainLoss,
      validationLoss,
      tokensPerSecond: tokensPerSecond(),
    });
  };

  try {
    if (resume) {
      optimizer.restoreState(checkpointOptimizerState(resume, lora.tensorNames));
      // The batches the finished steps took, drawn again so the next one is the same.
      for (let step = 0; step < startStep; step++) batches.next();
    }
    for (let step = startStep; step < steps; step++) {
      hooks.signal.throwIfAborted();
      const rows = batches.next().value as LoraRow[];
      const answerTokens = rows.reduce((sum, row) => sum + row.tokens.length - row.answerStart, 0);
      const started = performance.now();
      let summed: tf.Tensor[] | undefined;
      let loss = 0;
      // Short examples share a forward pass (packed, each attending only to itself), up to the
      // longest sequence a single example may have.
      const packs = packRows(rows, hyperparameters.maxSequenceTokens);
      for (const [index, pack] of packs.entries()) {
        hooks.signal.throwIfAborted();
        const dropout =
          hyperparameters.dropout > 0
            ? {
                rate: hyperparameters.dropout,
                seed: deriveSeed(hyperparameters.seed, `dropout ${step} ${index}`),
              }
            : undefined;
        const hidden = trainStates?.forPack(pack.rows);
        const { value, grads } = tf.variableGrads(
          () =>
            softmaxCrossEntropy(
              model.logits(pack.tokens, {
                lora,
                positions: pack.positions,
                segments: pack.segments,
                ...(dropout ? { dropout } : {}),
                ...(hidden ? { from: { layer: lora.firstLayer, hidden } } : {}),
              }),
              tf.tensor1d(pack.targets, 'int32'),
              tf.fill([pack.targets.length], 1 / answerTokens),
            ),
          lora.variables,
        );
        hidden?.dispose();
        loss += (await value.data())[0] as number;
        const gradients = lora.variables.map((variable) => grads[variable.name] as tf.Tensor);
        if (summed === undefined) summed = gradients;
        else {
          const next = summed.map((total, position) => tf.add(total, gradients[position] as tf.Tensor));
          tf.dispose([...summed, ...gradients]);
          summed = next;
        }
        value.dispose();
      }
      optimizer.step(
        summed as tf.Tensor[],
        learningRateFor(step, hyperparameters),
        hyperparameters.gradientClip,
      );
      tf.dispose(summed as tf.Tensor[]);
      trainMilliseconds += performance.now() - started;
      trainTokens += rows.reduce((sum, row) => sum + row.tokens.length, 0);
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at step ${step}`);
      recentLosses.push(loss);
      const done = step + 1;
      if (step % evalEvery === 0) await record(step);
      else
        await hooks.onProgress(step, { trainLoss: loss, validationLoss, tokensPerSecond: tokensPerSecond() });
      if (hooks.saveCheckpoint && checkpointEvery > 0 && done % checkpointEvery === 0 && done < steps) {
        const state = optimizer.exportState();
        await hooks.saveCheckpoint({
          step: done,
          trainTokens,
          trainMilliseconds,
          lossCurve,
          recentLosses,
          optimizerSteps: state.steps,
          tensors: checkpointTensors(lora.tensorNames, lora.exportValues(), state),
        });
      }
      // Yield to the event loop so cancellation, progress writes and other jobs get their turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    hooks.signal.throwIfAborted();
    if (recentLosses.length > 0) await record(steps);
    const last = lossCurve.at(-1) as LossPoint;
    return {
      lossCurve,
      trainLoss: last.trainLoss,
      validationLoss: last.validationLoss,
      tokensPerSecond: tokensPerSecond(),
      trainTokens,
      resumedFrom: startStep,
      hiddenCache: trainStates ? { rows: trainStates.size, bytes: trainStates.bytes } : null,
    };
  } finally {
    optimizer.dispose();
    trainStates?.clear();
    validationStates?.clear();
  }
}

/**
 * Mean negative log-likelihood per answer token of `rows` under the adapted model (no gradients).
 * `below`, when given, holds each row's hidden states entering the adapters' first layer
 * (`model.hiddenBelow`), so that only the blocks from there on run.
 */
export function meanAnswerLoss(
  model: LlamaModel,
  lora: LoraAdapters | undefined,
  rows: readonly LoraRow[],
  signal?: AbortSignal,
  below?: readonly tf.Tensor2D[],
): number {
  let total = 0;
  let count = 0;
  for (const [index, row] of rows.entries()) {
    signal?.throwIfAborted();
    const { positions, targets } = answerTargets(row);
    const hidden = below?.[index];
    const loss = tf.tidy(() =>
      softmaxCrossEntropy(
        model.logits(row.tokens, {
          ...(lora ? { lora } : {}),
          positions,
          ...(hidden && lora ? { from: { layer: lora.firstLayer, hidden } } : {}),
        }),
        tf.tensor1d(targets, 'int32'),
        tf.ones([targets.length]),
      ),
    );
    total += loss.dataSync()[0] as number;
    loss.dispose();
    count += targets.length;
  }
  return count > 0 ? total / count : Number.NaN;
}

function mean(values: number[]): number {
  return values.length > 0 ? values.reduce((sum, value) => sum + value, 0) / values.length : Number.NaN;
}
