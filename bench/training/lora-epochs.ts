import { createSeededRandom } from '../../core/local-model/seeded-random.ts';
import type { LlamaModel } from '../../training/backends/lora/llama-model.ts';
import { llamaProjections } from '../../training/backends/lora/llama-tensors.ts';
import { LoraAdapters } from '../../training/backends/lora/lora-adapters.ts';
import {
  adaptedLayers,
  parseLoraHyperparameters,
} from '../../training/backends/lora/lora-hyperparameters.ts';
import type { LoraRow } from '../../training/backends/lora/lora-rows.ts';
import { runLoraTrainingLoop } from '../../training/backends/lora/lora-training-loop.ts';
import { measure, round } from '../measure.ts';
import type { LoraBenchRow } from './lora-bench-rows.ts';

/**
 * The whole training loop over three epochs of `rows` (one row per step), as the demo preset
 * adapts SmolLM2 (the top 20 layers), with the frozen layers' hidden states kept across epochs
 * and without (`hiddenCacheMegabytes: 0`). The first epoch computes every row's states either
 * way; the two later ones reuse them. Runs alternate, twice each, and the best of each counts:
 * step times on a shared machine drift by more than the difference. Seconds are the process's
 * CPU time (the trainer runs on one thread), which other processes on the machine inflate less.
 */
export async function loraEpochs(
  model: LlamaModel,
  rows: readonly LoraBenchRow[],
): Promise<Record<string, unknown>> {
  const train: LoraRow[] = rows.map((row) => ({
    tokens: Int32Array.from(row.tokens),
    answerStart: row.answerStart,
  }));
  const layers = { top: 20 } as const;
  const run = async (hiddenCacheMegabytes: number) => {
    const hyperparameters = parseLoraHyperparameters({
      preset: 'demo',
      steps: 3 * train.length,
      batchSize: 1,
      maxSequenceTokens: 512,
      evalEvery: 1_000,
      checkpointEvery: 0,
      validation: 'none',
      hiddenCacheMegabytes,
    });
    const lora = LoraAdapters.create(
      model.config,
      {
        rank: 16,
        alpha: 32,
        targets: llamaProjections,
        layers: adaptedLayers(layers, model.config.blockCount),
      },
      createSeededRandom(5),
    );
    try {
      const measured = await measure(() =>
        runLoraTrainingLoop(model, lora, { train, validation: [] }, hyperparameters, {
          signal: new AbortController().signal,
          onPoint: () => undefined,
          onProgress: async () => undefined,
        }),
      );
      return {
        seconds: round(measured.durationMs / 1000, 2),
        cpuSeconds: round(measured.cpuMs / 1000, 2),
        tokensPerSecond: round(measured.value.tokensPerSecond, 1),
        trainLoss: round(measured.value.trainLoss, 4),
        cachedMb: round((measured.value.hiddenCache?.bytes ?? 0) / 2 ** 20, 1),
        peakRssMb: measured.peakRssMb,
      };
    } finally {
      lora.dispose();
    }
  };
  type Run = Awaited<ReturnType<typeof run>>;
  const runs: { cached: Run[]; uncached: Run[] } = { cached: [], uncached: [] };
  for (let pass = 0; pass < 2; pass++) {
    runs.cached.push(await run(512));
    runs.uncached.push(await run(0));
  }
  const best = (of: Run[]) =>
    of.reduce((fastest, one) => (one.cpuSeconds < fastest.cpuSeconds ? one : fastest));
  const [cached, uncached] = [best(runs.cached), best(runs.uncached)];
  return {
    rows: train.map((row) => row.tokens.length),
    epochs: 3,
    layers: `top ${layers.top} of ${model.config.blockCount}`,
    uncached,
    cached,
    speedup: round(uncached.cpuSeconds / cached.cpuSeconds, 3),
  };
}
