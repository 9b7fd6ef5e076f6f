import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LocalArtifactStore } from '../../core/adapters/artifacts/local-artifact-store.ts';
import { matMul } from '../../core/local-model/fast-ops.ts';
import { LocalModel } from '../../core/local-model/local-model.ts';
import {
  countParameters,
  type LocalModelConfig,
  localModelPresets,
  trainingFlopsPerToken,
} from '../../core/local-model/model-config.ts';
import { createSeededRandom } from '../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../core/local-model/tfjs-runtime.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Dataset, InstructionExample } from '../../core/types/dataset.ts';
import { LocalFineTuneBackend } from '../../training/backends/local-fine-tune-backend.ts';
import { measure, round } from '../measure.ts';
import { runDatasetBench } from './dataset-bench.ts';
import { runLoraTrainingBench } from './lora-training-bench.ts';

const benchSteps = 40;
const batchSize = 8;

/**
 * The local trainer against the hardware it runs on. `matmul` is the raw throughput of the same
 * tfjs backend on the model's own dense products (forward + backward, through the same fast
 * gradient as the model, and forward alone: XNNPACK's ceiling). `trainer` is tokens/s of a real
 * demo-preset run of `benchSteps` steps, turned into GFLOP/s with the model's FLOPs per token, and
 * the fraction of the raw forward+backward throughput that it reaches. `generation` is tokens/s
 * of greedy decoding from the trained checkpoint. `lora` is the LoRA trainer's step on SmolLM2
 * against its matmul bound (see lora-training-bench.ts; also runnable alone as `training-lora`).
 */
export async function runTrainingBench(): Promise<Record<string, unknown>> {
  const { backend } = await initTfjs({ logger: silentLogger });
  const config = localModelPresets.demo;
  process.stderr.write(`training: tfjs-${backend}, raw matmul on the demo shapes\n`);
  const raw = await measure(() => denseThroughput(config));

  const folder = mkdtempSync(join(tmpdir(), 'twin-training-bench-'));
  try {
    const artifacts = new LocalArtifactStore(folder);
    const trainerBackend = new LocalFineTuneBackend();
    const hyperparameters = trainerBackend.parseHyperparameters({
      preset: 'demo',
      steps: benchSteps,
      batchSize,
      evalEvery: benchSteps,
      validation: 'none',
    });
    process.stderr.write(
      `training: demo preset, ${benchSteps} steps of ${batchSize}×${config.contextLength} tokens\n`,
    );
    const run = await measure(() =>
      trainerBackend.train(
        {
          jobId: 'bench',
          modelName: 'bench',
          dataset: { id: 'ds_000000000000' } as Dataset,
          examples: { train: syntheticExamples(), test: [] },
          baseModel: null,
          parent: null,
          hyperparameters,
        },
        {
          artifacts,
          logger: silentLogger,
          signal: new AbortController().signal,
          progress: async () => {},
          log: async () => {},
        },
      ),
    );
    const trainedConfig = { ...config, vocabSize: Number(run.value.hyperparameters.vocabSize) };
    const tokensPerSecond = run.value.metrics.tokensPerSecond ?? Number.NaN;
    const trainerGflops = (tokensPerSecond * trainingFlopsPerToken(trainedConfig)) / 1e9;

    process.stderr.write('training: greedy generation from the checkpoint\n');
    const model = await LocalModel.load(
      artifacts,
      run.value.artifact.kind === 'local' ? run.value.artifact.key : '',
    );
    await model.complete('warm up', { temperature: 0, maxTokens: 4 });
    const generation = await measure(() =>
      model.complete('Write an article about feature stores.', { temperature: 0, maxTokens: 64, stop: [] }),
    );
    model.dispose();

    process.stderr.write(`training: dataset build over 1,000 documents\n`);
    const datasets = await runDatasetBench();
    process.stderr.write('training: LoRA steps on SmolLM2-135M\n');
    const lora = await runLoraTrainingBench();
    return {
      backend: `tfjs-${backend}`,
      datasets,
      lora,
      model: {
        preset: 'demo',
        parameters: countParameters(trainedConfig),
        trainingFlopsPerToken: trainingFlopsPerToken(trainedConfig),
        shape: trainedConfig,
      },
      matmul: {
        forwardGflops: round(raw.value.forwardGflops),
        forwardBackwardGflops: round(raw.value.forwardBackwardGflops),
        peakRssMb: raw.peakRssMb,
      },
      trainer: {
        steps: benchSteps,
        tokensPerStep: batchSize * config.contextLength,
        tokensPerSecond: round(tokensPerSecond, 0),
        gflops: round(trainerGflops),
        fractionOfRawForwardBackward: round(trainerGflops / raw.value.forwardBackwardGflops),
        wallSeconds: round(run.durationMs / 1000, 1),
        finalTrainLoss: round(run.value.metrics.trainLoss ?? Number.NaN, 3),
        peakRssMb: run.peakRssMb,
      },
      generation: {
        tokens: generation.value.completionTokens,
        tokensPerSecond: round(generation.value.completionTokens / (generation.durationMs / 1000), 1),
        peakRssMb: generation.peakRssMb,
      },
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * GFLOP/s of the model's dense products at training batch size: every linear layer and the tied
 * output head, forward alone and forward + backward (dX and dW: three products per layer).
 */
function denseThroughput(config: LocalModelConfig): { forwardGflops: number; forwardBackwardGflops: number } {
  const rows = batchSize * config.contextLength;
  const { dModel, ffnHidden, vocabSize } = config;
  const shapes: Array<[number, number]> = [
    [dModel, 3 * dModel],
    [dModel, dModel],
    [dModel, ffnHidden],
    [ffnHidden, dModel],
    [dModel, vocabSize],
  ];
  let forwardFlops = 0;
  let forwardMs = 0;
  let fullMs = 0;
  for (const [inner, outer] of shapes) {
    const x = tf.variable(tf.randomNormal([rows, inner]));
    const weight = tf.variable(tf.randomNormal([inner, outer], 0, 0.02));
    const probe = tf.randomNormal([rows, outer]);
    const forward = () => {
      const product = matMul(x as tf.Tensor2D, weight as tf.Tensor2D);
      product.dataSync();
      product.dispose();
    };
    const full = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.mul(matMul(x as tf.Tensor2D, weight as tf.Tensor2D), probe)) as tf.Scalar,
          [x, weight],
        );
        value.dataSync();
        for (const gradient of Object.values(grads)) gradient.dataSync();
      });
    forwardFlops += 2 * rows * inner * outer;
    forwardMs += bestOf(forward);
    fullMs += bestOf(full);
    tf.dispose([x, weight, probe]);
  }
  return {
    forwardGflops: forwardFlops / forwardMs / 1e6,
    forwardBackwardGflops: (3 * forwardFlops) / fullMs / 1e6,
  };
}

/** Fastest of a few runs after a warm-up: other processes only ever make a run slower. */
function bestOf(work: () => void, runs = 5): number {
  work();
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/**
 * Deterministic text with enough distinct words for the tokenizer to fill the demo vocabulary, so
 * the output head has its real size. Throughput does not depend on what the words say.
 */
function syntheticExamples(): InstructionExample[] {
  const random = createSeededRandom(11);
  const syllables = [
    'fea',
    'ture',
    'sto',
    're',
    'con',
    'tract',
    'ver',
    'sion',
    'mo',
    'del',
    'boa',
    'ring',
    'ro',
    'll',
    'back',
    'chun',
    'ker',
    'in',
    'dex',
    'ret',
    'rie',
    'val',
    'pipe',
    'line',
    'to',
    'fu',
    'da',
    'ta',
    'hash',
    'lo',
    'g',
  ];
  const vocabulary = Array.from({ length: 3000 }, () =>
    Array.from({ length: 1 + random.integer(3) }, () => syllables[random.integer(syllables.length)]).join(''),
  );
  // Zipf-like: a few words are very common, most are rare, as in real text.
  const word = () => vocabulary[Math.floor(vocabulary.length * random.next() ** 3)] as string;
  return Array.from({ length: 48 }, (_, index) => {
    const sentences = Array.from({ length: 30 }, () => {
      const words = Array.from({ length: 6 + random.integer(10) }, word);
      return `${words.join(' ')}.`;
    });
    return {
      instruction: `Write post ${index} about ${word()} and ${word()}.`,
      answer: sentences.join(' '),
      kind: 'bench',
      sourceDocumentId: `bench-${index}`,
    };
  });
}
