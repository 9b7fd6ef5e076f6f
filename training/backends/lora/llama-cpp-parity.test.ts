import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { writeLoraAdapter } from '../../../core/models/gguf/write-lora-adapter.ts';
import { comparePosition, type PositionAgreement, summarise } from './__fixtures__/distribution-agreement.ts';
import { LlamaCppReference, type LlamaCppReferenceOptions } from './__fixtures__/llama-cpp-reference.ts';
import { tensorSource, writeTinyLlamaGguf } from './__fixtures__/write-tiny-llama-gguf.ts';
import { parseLlamaConfig } from './llama-config.ts';
import { LlamaModel } from './llama-model.ts';
import { logSoftmax } from './log-softmax.ts';
import { LoraAdapters } from './lora-adapters.ts';

/*
 * The tfjs forward pass against llama.cpp itself, on the same GGUF files: the tiny random llama
 * (2 blocks, width 64, 4 query heads sharing 2 key/value heads, rope base 5,000, F32 weights),
 * tied and untied, on token sequences of 1 to 300 tokens, every position compared.
 *
 * Tolerances. Both sides compute in float32 from the same F32 weights; only the order of
 * summation differs (XNNPACK's and ggml's kernels, softmax, RMSNorm). That moves a logit by about
 * 1e-6 of its size, so a log-probability by ~1e-5 and KL(llama.cpp ‖ ours), second order in the
 * difference, by ~1e-10. Measured over the 382 positions: KL at most 5e-11 (tied), 6e-12
 * (untied) and 2e-10 (with LoRA), means near 1e-12; log-probabilities within 5e-5. The bounds
 * below, KL < 1e-8 and |Δ log p| < 1e-3 wherever llama.cpp gives p ≥ 1e-4, leave two orders of
 * margin yet catch any real mistake: an RMSNorm epsilon of 1e-3 instead of 1e-5 gave KL up to
 * 1.4e-3, the default rope base instead of 5,000 gave 2.7 and a wrong top token at 20% of
 * positions. These run with llama.cpp's key/value cache in F32; with its default F16 cache, which
 * rounds every key and value to 11 significant bits, the mean KL rose to 2e-6 and the largest to
 * 5e-5 (a looser test below).
 */

// node-llama-cpp is an optional dependency.
const installed = existsSync(
  resolve(import.meta.dirname, '../../../node_modules/node-llama-cpp/package.json'),
);

const exact = { maxKl: 1e-8, largestLogRatio: 1e-3 };

describe.runIf(installed)('the tfjs llama forward pass agrees with llama.cpp', () => {
  let folder: string;
  const random = createSeededRandom(2024);
  const sequences = [1, 17, 64, 300].map((length) => Array.from({ length }, () => random.integer(300)));

  beforeAll(async () => {
    await initTfjs();
    folder = await mkdtemp(join(tmpdir(), 'llama-parity-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** Every position of every sequence: llama.cpp's distribution against ours. */
  async function agreements(
    path: string,
    model: LlamaModel,
    options: LlamaCppReferenceOptions,
    lora?: LoraAdapters,
  ): Promise<PositionAgreement[]> {
    const reference = await LlamaCppReference.open(path, options);
    const vocabulary = model.config.vocabularySize;
    const results: PositionAgreement[] = [];
    try {
      for (const tokens of sequences) {
        const logits = model.logits(tokens, lora ? { lora } : {});
        const ours = logits.dataSync() as Float32Array;
        logits.dispose();
        await reference.visitDistributions(tokens, (position, probabilities) => {
          results.push(
            comparePosition(
              probabilities,
              logSoftmax(ours.subarray(position * vocabulary, (position + 1) * vocabulary)),
            ),
          );
        });
      }
    } finally {
      await reference.close();
    }
    return results;
  }

  for (const tied of [true, false]) {
    it(`${tied ? 'tied' : 'untied'} output head: the same next-token distributions at all 382 positions`, async () => {
      const path = join(folder, `tiny-${tied}.gguf`);
      const tiny = await writeTinyLlamaGguf(path, { tied, seed: tied ? 1 : 2 });
      const model = await LlamaModel.load(parseLlamaConfig(tiny.metadata), tensorSource(tiny.tensors));
      const summary = summarise(await agreements(path, model, { kvCache: 'F32' }));
      model.dispose();
      expect(summary.positions).toBe(382);
      expect(summary.topAgreement).toBe(1);
      expect(summary.maxKl).toBeLessThan(exact.maxKl);
      expect(summary.largestLogRatio).toBeLessThan(exact.largestLogRatio);
    });
  }

  it("with llama.cpp's default F16 key/value cache, as served: mean KL below 1e-5", async () => {
    const path = join(folder, 'tiny-f16-cache.gguf');
    const tiny = await writeTinyLlamaGguf(path);
    const model = await LlamaModel.load(parseLlamaConfig(tiny.metadata), tensorSource(tiny.tensors));
    const summary = summarise(await agreements(path, model, { kvCache: 'F16' }));
    model.dispose();
    // Measured: mean KL 2.1e-6, at most 4.7e-5, every top token the same; a top token could flip
    // only where two nearly tie, which these sequences do not have.
    expect(summary.meanKl).toBeLessThan(1e-5);
    expect(summary.maxKl).toBeLessThan(5e-4);
    expect(summary.topAgreement).toBe(1);
  });

  it('with random LoRA adapters on every projection, written as a llama.cpp adapter GGUF', async () => {
    const path = join(folder, 'tiny-lora-base.gguf');
    const adapterPath = join(folder, 'tiny-lora-adapter.gguf');
    const tiny = await writeTinyLlamaGguf(path, { seed: 3 });
    const config = parseLlamaConfig(tiny.metadata);
    const model = await LlamaModel.load(config, tensorSource(tiny.tensors));
    const settings = {
      rank: 4,
      alpha: 8,
      targets: ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const,
    };
    const source = createSeededRandom(5);
    const fresh = LoraAdapters.create(config, settings, source);
    const values = fresh.exportValues();
    fresh.dispose();
    // B starts at zero; random, the adapters change every projection.
    for (const pair of values.values()) pair.b = pair.b.map(() => 0.3 * source.normal());
    const lora = LoraAdapters.fromValues(config, settings, values);
    await writeLoraAdapter(adapterPath, lora.adapterFile());

    const adapted = summarise(await agreements(path, model, { kvCache: 'F32', loraPath: adapterPath }, lora));
    expect(adapted.topAgreement).toBe(1);
    expect(adapted.maxKl).toBeLessThan(exact.maxKl);
    expect(adapted.largestLogRatio).toBeLessThan(exact.largestLogRatio);
    // The adapter is no small perturbation: without it, our model is far from adapted llama.cpp.
    const unadapted = summarise(await agreements(path, model, { kvCache: 'F32', loraPath: adapterPath }));
    expect(unadapted.meanKl).toBeGreaterThan(1);
    lora.dispose();
    model.dispose();
  });
});
