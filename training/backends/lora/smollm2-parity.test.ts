import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { pulledBaseModel } from '../../../core/models/__fixtures__/pulled-base-model.ts';
import { writeLoraAdapter } from '../../../core/models/gguf/write-lora-adapter.ts';
import { openGgufVocabulary } from '../../../core/models/gguf-vocabulary.ts';
import type { ChatMessage } from '../../../core/ports/generator.ts';
import { comparePosition, type PositionAgreement, summarise } from './__fixtures__/distribution-agreement.ts';
import { LlamaCppReference, type LlamaCppReferenceOptions } from './__fixtures__/llama-cpp-reference.ts';
import { writeF32LlamaCopy } from './__fixtures__/write-f32-llama-copy.ts';
import { tensorSource } from './__fixtures__/write-tiny-llama-gguf.ts';
import { parseLlamaConfig } from './llama-config.ts';
import { LlamaModel } from './llama-model.ts';
import { loadLlamaGguf } from './load-llama-gguf.ts';
import { logSoftmax } from './log-softmax.ts';
import { LoraAdapters } from './lora-adapters.ts';
import { parseLoraHyperparameters } from './lora-hyperparameters.ts';
import { meanAnswerLoss, runLoraTrainingLoop } from './lora-training-loop.ts';

/*
 * The tfjs forward pass on the real SmolLM2-135M-Instruct (30 blocks, width 576, 9 query heads
 * sharing 3 key/value heads, rope base 100,000, a tied 49,152-token head), against llama.cpp on
 * chats rendered by the model's own template: every position that predicts a next token is
 * compared, 186 of them, 114 of which predict answer tokens.
 *
 * - On an F32 copy of the file (its weights dequantised by our reader, written back as F32), both
 *   sides run the same float32 weights in float32 arithmetic, and agree as closely as the tiny
 *   model does: measured top-1 identical everywhere, KL at most 3e-10 (mean 5e-11). Same bounds as
 *   llama-cpp-parity.test.ts.
 * - On the pulled Q4_1 file itself, llama.cpp does not multiply in float32: for Q4_1 (and the
 *   embedding's Q8_0) weights its CPU kernels first round each activation vector to 8-bit blocks
 *   (Q8_1/Q8_0: 32 values sharing one scale), and compute the dot products in integers. That
 *   rounding, up to 0.4% of each block's largest value, runs through 30 blocks. Our model multiplies the dequantised
 *   weights with unrounded activations, as training will. Measured, with llama.cpp's default F16
 *   key/value cache as served: the same top token at 97.8% of positions (98.2% of the answers'),
 *   mean KL 0.0043, largest 0.030 (99th percentile 0.025); with an F32 cache, 97% and the same
 *   KL, so the cache is not what differs. The bounds, top-1 ≥ 95%, mean KL < 0.01, largest < 0.1,
 *   hold that with margin for other CPUs' summation orders, while the F32 test above is the one
 *   that pins down the forward pass.
 * - The same Q4_1 file with an adapter our trainer trained (4 steps on these chats), written as a
 *   llama.cpp adapter GGUF and loaded by llama.cpp: the same bounds on the answers, whose positions
 *   the trainer's loss reads; see the test for the figures.
 */

const path = pulledBaseModel();
// node-llama-cpp is an optional dependency.
const installed = existsSync(
  resolve(import.meta.dirname, '../../../node_modules/node-llama-cpp/package.json'),
);

const chats: { messages: ChatMessage[]; answer: string }[] = [
  {
    messages: [{ role: 'user', content: 'What is a feature store, in one paragraph?' }],
    answer:
      'A feature store is a central place where the features used to train a model are computed, versioned and served, so that training and inference read the same values.',
  },
  {
    messages: [
      { role: 'system', content: 'You are a helpful assistant who writes like a senior engineer.' },
      { role: 'user', content: 'Why do you pin every dependency?' },
    ],
    answer:
      'Because a build that worked yesterday should work today. Pinning makes upgrades a decision instead of an accident, and the lock file tells me exactly what ran in production.',
  },
  {
    messages: [{ role: 'user', content: 'Give me three tips for writing a good README.' }],
    answer:
      '1. Start with what the project does and who it is for.\n2. Show the shortest path from clone to a running example.\n3. Keep it current: a stale README is worse than none.',
  },
];

describe.skipIf(path === null || !installed)(
  'the tfjs llama forward pass on the real SmolLM2-135M-Instruct',
  () => {
    let folder: string;
    beforeAll(async () => {
      await initTfjs();
      folder = await mkdtemp(join(tmpdir(), 'smollm2-parity-'));
    });
    afterAll(async () => {
      await rm(folder, { recursive: true, force: true });
    });

    /** Every position of every chat, and which of them predict an answer token. */
    async function agreements(
      file: string,
      model: LlamaModel,
      options: LlamaCppReferenceOptions,
      lora?: LoraAdapters,
    ): Promise<{ all: PositionAgreement[]; answers: PositionAgreement[] }> {
      const reference = await LlamaCppReference.open(file, { contextSize: 1024, ...options });
      const vocabulary = model.config.vocabularySize;
      const all: PositionAgreement[] = [];
      const answers: PositionAgreement[] = [];
      try {
        for (const { messages, answer } of chats) {
          const { tokens, answerStart } = reference.chatAnswerTokens(messages, answer);
          const logits = model.logits(tokens, lora ? { lora } : {});
          const ours = logits.dataSync() as Float32Array;
          logits.dispose();
          await reference.visitDistributions(tokens.slice(0, -1), (position, probabilities) => {
            const agreement = comparePosition(
              probabilities,
              logSoftmax(ours.subarray(position * vocabulary, (position + 1) * vocabulary)),
            );
            all.push(agreement);
            if (position >= answerStart - 1) answers.push(agreement);
          });
        }
      } finally {
        await reference.close();
      }
      return { all, answers };
    }

    it('F32 weights on both sides: the same distributions, as closely as float32 allows', async () => {
      const copy = join(folder, 'smollm2-f32.gguf');
      const { metadata, tensors } = await writeF32LlamaCopy(path as string, copy);
      const model = await LlamaModel.load(parseLlamaConfig(metadata), tensorSource(tensors));
      // The model has its own copy now; these 540 MB can go.
      tensors.clear();
      try {
        const summary = summarise((await agreements(copy, model, { kvCache: 'F32' })).all);
        expect(summary.positions).toBe(186);
        expect(summary.topAgreement).toBe(1);
        expect(summary.maxKl).toBeLessThan(1e-8);
        expect(summary.largestLogRatio).toBeLessThan(1e-3);
      } finally {
        model.dispose();
        await rm(copy, { force: true });
      }
    }, 300_000);

    it('the pulled Q4_1 file as served: close, within the rounding of llama.cpp’s 8-bit activations', async () => {
      const model = await loadLlamaGguf(path as string);
      try {
        const { all, answers } = await agreements(path as string, model, { kvCache: 'F16' });
        const summary = summarise(all);
        expect(summary.positions).toBe(186);
        expect(summary.topAgreement).toBeGreaterThanOrEqual(0.95);
        expect(summary.meanKl).toBeLessThan(0.01);
        expect(summary.maxKl).toBeLessThan(0.1);
        // The positions a trainer's loss reads, those predicting the answer, agree as well.
        expect(answers.length).toBe(114);
        expect(summarise(answers).topAgreement).toBeGreaterThanOrEqual(0.95);
        expect(summarise(answers).meanKl).toBeLessThan(0.01);
      } finally {
        model.dispose();
      }
    }, 300_000);

    it('the pulled Q4_1 file with an adapter our trainer trained, loaded by llama.cpp from its GGUF', async () => {
      const model = await loadLlamaGguf(path as string);
      const settings = { rank: 8, alpha: 16, targets: ['attn_q', 'attn_v', 'ffn_up', 'ffn_down'] as const };
      const lora = LoraAdapters.create(model.config, settings, createSeededRandom(11));
      const adapterPath = join(folder, 'smollm2-trained-adapter.gguf');
      try {
        // A few steps on the chats themselves, at a rate high enough to move every distribution.
        const vocabulary = await openGgufVocabulary(path as string);
        const rows = chats.map(({ messages, answer }) => {
          const { tokens, answerStart } = vocabulary.chatAnswerTokens(messages, answer);
          return { tokens: Int32Array.from(tokens), answerStart };
        });
        await vocabulary.close();
        const before = meanAnswerLoss(model, lora, rows);
        const hyperparameters = parseLoraHyperparameters({
          steps: 4,
          batchSize: 3,
          learningRate: 0.01,
          dropout: 0,
          validation: 'none',
        });
        await runLoraTrainingLoop(model, lora, { train: rows, validation: [] }, hyperparameters, {
          signal: new AbortController().signal,
          onPoint: () => undefined,
          onProgress: async () => undefined,
        });
        const after = meanAnswerLoss(model, lora, rows);
        expect(after).toBeLessThan(before - 0.2);
        await writeLoraAdapter(adapterPath, lora.adapterFile('parity'));

        const { all, answers } = await agreements(
          path as string,
          model,
          { kvCache: 'F16', loraPath: adapterPath },
          lora,
        );
        const adapted = summarise(all);
        expect(adapted.positions).toBe(186);
        expect(adapted.topAgreement).toBeGreaterThanOrEqual(0.95);
        expect(adapted.meanKl).toBeLessThan(0.01);
        // Measured: the same top token at 97.8% of positions (96.5% of the answers'), mean KL 0.0041
        // as without the adapter, and at most 0.019 on the answers; one prompt position reached
        // 0.26. Four steps at 1e-2 made a strong adapter (the answers' loss fell from 4.47 to 0.79),
        // which amplifies llama.cpp's 8-bit activation rounding where the base is least sure; the
        // all-position bound is 0.5 for that, the answers keep the base's 0.1.
        expect(adapted.maxKl).toBeLessThan(0.5);
        const adaptedAnswers = summarise(answers);
        expect(adaptedAnswers.topAgreement).toBeGreaterThanOrEqual(0.95);
        expect(adaptedAnswers.maxKl).toBeLessThan(0.1);
        // What llama.cpp serves with the adapter is not the base: without it, ours is far off.
        const unadapted = summarise(
          (await agreements(path as string, model, { kvCache: 'F16', loraPath: adapterPath })).answers,
        );
        // Measured: the same top token at only 34% of the answers' positions, mean KL 2.5.
        expect(unadapted.meanKl).toBeGreaterThan(1);
      } finally {
        lora.dispose();
        model.dispose();
      }
    }, 600_000);
  },
);
