import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropy } from '../../core/local-model/fast-ops.ts';
import { createSeededRandom } from '../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../core/local-model/tfjs-runtime.ts';
import { pulledBaseModel } from '../../core/models/__fixtures__/pulled-base-model.ts';
import { openGgufVocabulary } from '../../core/models/gguf-vocabulary.ts';
import type { LlamaModel } from '../../training/backends/lora/llama-model.ts';
import { llamaProjections } from '../../training/backends/lora/llama-tensors.ts';
import { loadLlamaGguf } from '../../training/backends/lora/load-llama-gguf.ts';
import { LoraAdapters } from '../../training/backends/lora/lora-adapters.ts';
import { measure, round } from '../measure.ts';
import { type LoraBenchRow, loraBenchRows } from './lora-bench-rows.ts';
import { matmulBound, stepProducts } from './lora-matmul-bound.ts';

const settings = { rank: 8, alpha: 16, targets: llamaProjections };

/**
 * The LoRA trainer's step on the real SmolLM2-135M against the matmul bound of the same step.
 * For each row of real chat tokens (128–512): the step's dense products timed alone on tfjs
 * (`bound`: the least time their FLOPs can take at this backend's raw rate), and the step itself
 * (forward, cross-entropy on the answer's tokens, backward to rank-8 adapters on all 7 projections
 * of all 30 layers; no optimizer), and the ratio of the two. `profile` splits one 256-token step's
 * kernel time by kernel. Skipped, saying so, when the model is not pulled.
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
  const model = await loadLlamaGguf(path);
  const lora = LoraAdapters.create(model.config, settings, createSeededRandom(3));
  try {
    process.stderr.write('training (lora): warm-up step\n');
    trainingStep(model, lora, rows[0] as LoraBenchRow);
    const perRow = [];
    let [tokens, stepSeconds, boundSeconds, boundFlops] = [0, 0, 0, 0];
    for (const row of rows) {
      const answers = row.tokens.length - row.answerStart;
      const bound = matmulBound(stepProducts(model.config, row.tokens.length, answers), row.tokens.length);
      const step = await measure(() => trainingStep(model, lora, row));
      process.stderr.write(
        `training (lora): ${row.tokens.length} tokens, step ${round(step.durationMs / 1000)} s, bound ${round(bound.seconds)} s\n`,
      );
      tokens += row.tokens.length;
      stepSeconds += step.durationMs / 1000;
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
    const profiled = rows.find((row) => row.tokens.length === 256) ?? (rows[0] as LoraBenchRow);
    const profile = await kernelProfile(() => trainingStep(model, lora, profiled));
    return {
      model: 'SmolLM2-135M-Instruct (Q4_1 dequantised to float32)',
      lora: { ...settings, layers: model.config.blockCount },
      loadAverage: (await import('node:os')).loadavg().map((value) => round(value)),
      bound: {
        gflops: round(boundFlops / boundSeconds / 1e9),
        tokensPerSecond: round(tokens / boundSeconds, 1),
        stepFlopsPer256Tokens: stepProducts(model.config, 256, 128).reduce(
          (sum, { m, k, n, count }) => sum + 2 * m * k * n * count,
          0,
        ),
      },
      achieved: {
        tokensPerSecond: round(tokens / stepSeconds, 1),
        gflops: round(boundFlops / stepSeconds / 1e9),
      },
      fractionOfBound: round(boundSeconds / stepSeconds),
      peakRssMb: Math.max(...perRow.map((row) => row.peakRssMb)),
      wasmHeapMb: wasmHeapMb(),
      rows: perRow,
      profile: { tokens: profiled.tokens.length, ...profile },
    };
  } finally {
    lora.dispose();
    model.dispose();
  }
}

/** Forward, mean cross-entropy over the answer's tokens, gradients of every adapter variable. */
function trainingStep(model: LlamaModel, lora: LoraAdapters, row: LoraBenchRow): number {
  const positions = Array.from(
    { length: row.tokens.length - row.answerStart },
    (_, index) => row.answerStart - 1 + index,
  );
  const { value, grads } = tf.variableGrads(
    () =>
      softmaxCrossEntropy(
        model.logits(row.tokens, { lora, positions }),
        tf.tensor1d(
          positions.map((position) => row.tokens[position + 1] as number),
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
