import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropy } from '../../core/local-model/fast-ops.ts';
import { createSeededRandom } from '../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../core/local-model/tfjs-runtime.ts';
import { pulledBaseModel } from '../../core/models/__fixtures__/pulled-base-model.ts';
import { openGgufVocabulary } from '../../core/models/gguf-vocabulary.ts';
import type { LlamaModel, LogitsOptions } from '../../training/backends/lora/llama-model.ts';
import { llamaProjections } from '../../training/backends/lora/llama-tensors.ts';
import { loadLlamaGguf } from '../../training/backends/lora/load-llama-gguf.ts';
import { LoraAdapters } from '../../training/backends/lora/lora-adapters.ts';
import { measure, round } from '../measure.ts';
import { type LoraBenchRow, loraBenchRows } from './lora-bench-rows.ts';
import { loraEpochs } from './lora-epochs.ts';
import { matmulBound, stepProducts } from './lora-matmul-bound.ts';

const settings = { rank: 8, alpha: 16, targets: llamaProjections };

/**
 * The LoRA trainer's step on the real SmolLM2-135M against the matmul bound of the same step.
 * For each row of real chat tokens (128–512): the step's dense products timed alone on tfjs
 * (`bound`: the least time their FLOPs can take at this backend's raw rate), and the step itself
 * (forward, cross-entropy on the answer's tokens, backward to rank-8 adapters on all 7 projections
 * of all 30 layers; no optimizer), and the ratio of the two. `profile` splits one 256-token step's
 * kernel time by kernel; `options` times packing two short rows into one and adapting only the
 * upper half of the layers from cached hidden states; `epochs` runs the whole loop over three epochs
 * with each row's frozen-layer states kept and without; `keepPackedGradientWeights` times the
 * 256-token step on a model that trades wasm heap for not repacking weights. The machine may be
 * shared: the load average before and after is recorded, and each row's bound is measured just
 * before its step. Skipped, saying so, when the model is not pulled.
 */
export async function runLoraTrainingBench(): Promise<Record<string, unknown>> {
  const path = pulledBaseModel();
  if (!path) {
    const reason = 'SmolLM2-135M-Instruct is not pulled: run `npx twin models pull smollm2-135m-instruct`';
    process.stderr.write(`training (lora): skipped, ${reason}\n`);
    return { skipped: reason };
  }
  await initTfjs();
  const vocabulary = await openGgufVocabulary(path);
  const rows = (() => {
    try {
      return loraBenchRows(vocabulary);
    } finally {
      void vocabulary.close();
    }
  })();
  const loadAverageBefore = loadavg().map((value) => round(value));
  const model = await loadLlamaGguf(path);
  const lora = LoraAdapters.create(model.config, settings, createSeededRandom(3));
  let figures: Record<string, unknown>;
  const profiled = rows.find((row) => row.tokens.length === 256) ?? (rows[0] as LoraBenchRow);
  const stepSeconds = new Map<LoraBenchRow, number>();
  try {
    process.stderr.write('training (lora): warm-up step\n');
    trainingStep(model, lora, [rows[0] as LoraBenchRow]);
    const perRow = [];
    let [tokens, totalSeconds, boundSeconds, boundFlops] = [0, 0, 0, 0];
    for (const row of rows) {
      const answers = row.tokens.length - row.answerStart;
      const bound = matmulBound(stepProducts(model.config, row.tokens.length, answers), row.tokens.length);
      const step = await measure(() => trainingStep(model, lora, [row]));
      stepSeconds.set(row, step.durationMs / 1000);
      process.stderr.write(
        `training (lora): ${row.tokens.length} tokens, step ${round(step.durationMs / 1000)} s, bound ${round(bound.seconds)} s\n`,
      );
      tokens += row.tokens.length;
      totalSeconds += step.durationMs / 1000;
      boundSeconds += bound.seconds;
      boundFlops += bound.flops;
      perRow.push({
        tokens: row.tokens.length,
        answerTokens: answers,
        stepSeconds: round(step.durationMs / 1000, 3),
        loss: round(step.value, 4),
        boundSeconds: round(bound.seconds, 3),
        fractionOfBound: round(bound.seconds / (step.durationMs / 1000)),
        peakRssMb: step.peakRssMb,
        wasmHeapMb: wasmHeapMb(),
      });
    }
    process.stderr.write('training (lora): profile of one 256-token step\n');
    const profile = await kernelProfile(() => trainingStep(model, lora, [profiled]));
    process.stderr.write('training (lora): packed rows, and adapters on the upper half from cached states\n');
    const options = await variants(model, rows, stepSeconds);
    process.stderr.write('training (lora): three epochs with and without the frozen layers kept\n');
    const epochs = await loraEpochs(
      model,
      rows.filter((row) => row.tokens.length < 256),
    );
    figures = {
      model: 'SmolLM2-135M-Instruct (Q4_1 dequantised to float32)',
      lora: { ...settings, layers: model.config.blockCount },
      bound: {
        gflops: round(boundFlops / boundSeconds / 1e9),
        tokensPerSecond: round(tokens / boundSeconds, 1),
        stepFlopsPer256Tokens: stepProducts(model.config, 256, 128).reduce(
          (sum, { m, k, n, count }) => sum + 2 * m * k * n * count,
          0,
        ),
      },
      achieved: {
        tokensPerSecond: round(tokens / totalSeconds, 1),
        gflops: round(boundFlops / totalSeconds / 1e9),
      },
      fractionOfBound: round(boundSeconds / totalSeconds),
      peakRssMb: Math.max(...perRow.map((row) => row.peakRssMb)),
      wasmHeapMb: wasmHeapMb(),
      rows: perRow,
      options,
      epochs,
      profile: { tokens: profiled.tokens.length, ...profile },
    };
  } finally {
    lora.dispose();
    model.dispose();
  }
  process.stderr.write('training (lora): a model keeping its packed weights for the gradients\n');
  const packedWeights = await keptPackedWeightsStep(path, profiled);
  return {
    ...figures,
    keepPackedGradientWeights: {
      ...packedWeights,
      defaultStepSeconds: round(stepSeconds.get(profiled) ?? 0, 3),
    },
    loadAverage: { before: loadAverageBefore, after: loadavg().map((value) => round(value)) },
  };
}

/**
 * The best of two steps of `row` on a model loaded with keepPackedGradientWeights (after a step
 * that packs them), then on a default model loaded again: one model at a time (two would not fit
 * the wasm heap at 512 tokens), back to back so that both see the same load.
 */
async function keptPackedWeightsStep(path: string, row: LoraBenchRow): Promise<Record<string, unknown>> {
  const bestStep = async (keepPackedGradientWeights: boolean) => {
    const model = await loadLlamaGguf(path, { keepPackedGradientWeights });
    const lora = LoraAdapters.create(model.config, settings, createSeededRandom(3));
    try {
      trainingStep(model, lora, [row]);
      const steps = [];
      for (let run = 0; run < 2; run++) steps.push(await measure(() => trainingStep(model, lora, [row])));
      return round(Math.min(...steps.map((step) => step.durationMs)) / 1000, 3);
    } finally {
      lora.dispose();
      model.dispose();
    }
  };
  const kept = await bestStep(true);
  const copied = await bestStep(false);
  return { tokens: row.tokens.length, stepSeconds: kept, defaultStepSeconds: copied };
}

/**
 * Forward, mean cross-entropy over the answers' tokens, gradients of every adapter variable. `rows`
 * are packed into one when there are several.
 */
function trainingStep(
  model: LlamaModel,
  lora: LoraAdapters,
  rows: readonly LoraBenchRow[],
  options: Pick<LogitsOptions, 'from'> = {},
): number {
  const tokens = rows.flatMap((row) => row.tokens);
  const positions: number[] = [];
  let start = 0;
  for (const row of rows) {
    for (let position = row.answerStart - 1; position + 1 < row.tokens.length; position++)
      positions.push(start + position);
    start += row.tokens.length;
  }
  const { value, grads } = tf.variableGrads(
    () =>
      softmaxCrossEntropy(
        model.logits(tokens, {
          lora,
          positions,
          ...(rows.length > 1 ? { segments: rows.map((row) => row.tokens.length) } : {}),
          ...options,
        }),
        tf.tensor1d(
          positions.map((position) => tokens[position + 1] as number),
          'int32',
        ),
        tf.fill([positions.length], 1 / positions.length) as tf.Tensor1D,
      ),
    lora.variables,
  );
  const loss = value.dataSync()[0] as number;
  tf.dispose([value, grads]);
  return loss;
}

/**
 * The two training options that save work, on the same rows: the two shortest rows packed into
 * one (against the sum of their steps above), and adapters on the upper half of the layers only,
 * starting from the cached hidden states of the lower half (against a full step of that row).
 */
async function variants(
  model: LlamaModel,
  rows: readonly LoraBenchRow[],
  stepSeconds: ReadonlyMap<LoraBenchRow, number>,
): Promise<Record<string, unknown>> {
  const [first, second] = [...rows].sort((a, b) => a.tokens.length - b.tokens.length) as [
    LoraBenchRow,
    LoraBenchRow,
  ];
  const lora = LoraAdapters.create(model.config, settings, createSeededRandom(3));
  const packed = await measure(() => trainingStep(model, lora, [first, second]));
  lora.dispose();
  const row = rows.find((candidate) => candidate.tokens.length === 256) ?? first;
  const half = Math.floor(model.config.blockCount / 2);
  const upper = LoraAdapters.create(
    model.config,
    {
      ...settings,
      layers: Array.from({ length: model.config.blockCount - half }, (_, index) => half + index),
    },
    createSeededRandom(4),
  );
  const cache = await measure(() => model.hiddenBelow(row.tokens, half));
  const fromCache = await measure(() =>
    trainingStep(model, upper, [row], { from: { layer: half, hidden: cache.value } }),
  );
  const frozenBottom = await measure(() => trainingStep(model, upper, [row]));
  cache.value.dispose();
  upper.dispose();
  return {
    packed: {
      tokens: first.tokens.length + second.tokens.length,
      stepSeconds: round(packed.durationMs / 1000, 3),
      separateStepsSeconds: round(
        (stepSeconds.get(first) as number) + (stepSeconds.get(second) as number),
        3,
      ),
      peakRssMb: packed.peakRssMb,
    },
    upperHalfAdapted: {
      tokens: row.tokens.length,
      layers: `${half}–${model.config.blockCount - 1}`,
      fullStepSeconds: round(stepSeconds.get(row) as number, 3),
      frozenBottomStepSeconds: round(frozenBottom.durationMs / 1000, 3),
      cachedBottomStepSeconds: round(fromCache.durationMs / 1000, 3),
      cachingSeconds: round(cache.durationMs / 1000, 3),
      peakRssMb: Math.max(fromCache.peakRssMb, frozenBottom.peakRssMb),
    },
  };
}

/** Milliseconds per kernel of one call, largest first, and the products' time by shape. */
async function kernelProfile(work: () => unknown): Promise<Record<string, unknown>> {
  const started = performance.now();
  const info = await tf.profile(() => {
    work();
  });
  const wallMs = performance.now() - started;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  const byProduct = new Map<string, { ms: number; calls: number }>();
  const add = (map: typeof byKernel, key: string, ms: number) => {
    const entry = map.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    map.set(key, entry);
  };
  let kernelMs = 0;
  for (const kernel of info.kernels) {
    const ms = kernel.kernelTimeMs as number;
    kernelMs += ms;
    add(byKernel, kernel.name, ms);
    if (kernel.name === 'BatchMatMul')
      add(byProduct, kernel.inputShapes.map((shape) => (shape ?? []).join('×')).join(' · '), ms);
  }
  const table = (map: typeof byKernel, limit: number) =>
    Object.fromEntries(
      [...map]
        .sort((first, second) => second[1].ms - first[1].ms)
        .slice(0, limit)
        .map(([key, { ms, calls }]) => [key, { ms: round(ms, 0), calls }]),
    );
  return {
    wallMs: round(wallMs, 0),
    kernelMs: round(kernelMs, 0),
    byKernel: table(byKernel, 20),
    productsByShape: table(byProduct, 16),
  };
}

/** Size of the wasm backend's memory: it only grows, so this is its peak so far. */
function wasmHeapMb(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  const bytes = backend.wasm?.HEAPU8?.buffer.byteLength;
  return bytes === undefined ? Number.NaN : round(bytes / 2 ** 20, 0);
}
