import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pulledBaseModel } from '../__fixtures__/pulled-base-model.ts';
import { probeBos, writeProbeGguf } from '../__fixtures__/write-probe-gguf.ts';
import { type Llama, loadNodeLlamaCpp } from '../load-node-llama-cpp.ts';
import { ggmlByteLength, ggmlTypeByName } from './ggml-types.ts';
import { readGgufTensors } from './read-gguf-tensors.ts';

// llama.cpp itself as the reference: a probe model (see writeProbeGguf) whose next-token logits are
// output.weight · h is written with output.weight in each type, llama.cpp's log-probabilities for
// every token are read back, and compared with those computed here from the same file's
// output.weight as readGgufTensors dequantises it. A misread block (nibble order, scale packing,
// a sign) moves logits by tenths or more; float32 sums in another order move them by about 1e-6 (1e-4 allowed, for other CPUs).
const installed = existsSync(
  resolve(import.meta.dirname, '../../../node_modules/node-llama-cpp/package.json'),
);
const tolerance = 1e-4;

/** Deterministic noise bytes. */
function noise(length: number, seed: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  });
}

// Magnitudes whose squares add up, with 127², to 32 · 64² = 131 072 (found by a random search).
const magnitudes = [
  1, 2, 4, 5, 18, 21, 22, 30, 35, 43, 44, 46, 46, 48, 51, 53, 56, 57, 62, 63, 70, 80, 80, 80, 84, 85, 85, 86,
  92, 92, 108, 127,
];

/**
 * A hidden vector that llama.cpp's arithmetic carries exactly, so that only the weights can make
 * its logits differ from ours. Each block of 32 is `magnitudes` with noise signs in a noise order:
 * - the mean square is 64² exactly, so the final RMSNorm scales by 1/√(4096 + 1e-5), which is 1/64
 *   in float32, and h = hidden/64 exactly;
 * - h's values are multiples of 1/64 below 2, exact in F16 and BF16 too, where llama.cpp converts
 *   h to the matrix's type;
 * - each block of 32 holds ±127, so where llama.cpp quantises h to 8 bits per block (Q8_0, Q8_1,
 *   Q8_K) before multiplying it with a quantised matrix, the block's scale is 1/64 and every
 *   quant is exactly the integer here; and a block's sum, which Q8_1 keeps as a half, stays below
 *   2048 (at most 1776), where halves are exact integers.
 */
function probeHidden(length: number): Float32Array {
  const random = noise(2 * length, 7);
  const hidden = new Float32Array(length);
  for (let block = 0; block < length; block += 32) {
    const order = [...magnitudes];
    for (let index = 31; index > 0; index--) {
      const other = (random[block + index] as number) % (index + 1);
      [order[index], order[other]] = [order[other] as number, order[index] as number];
    }
    order.forEach((magnitude, index) => {
      hidden[block + index] = (random[length + block + index] as number) & 1 ? magnitude : -magnitude;
    });
  }
  return hidden;
}

/**
 * log p of every token as this code predicts it: the final RMSNorm of `hidden` (in float32, as
 * llama.cpp computes it), the logits `weights · h`, then log-softmax.
 */
function predictedLogProbabilities(weights: Float32Array, hidden: Float32Array): number[] {
  const columns = hidden.length;
  const meanSquare = hidden.reduce((sum, value) => sum + value * value, 0) / columns;
  const scale = Math.fround(1 / Math.sqrt(Math.fround(meanSquare + 1e-5)));
  const h = Array.from(hidden, (value) => Math.fround(value * scale));
  const logits = Array.from({ length: weights.length / columns }, (_, row) => {
    let sum = 0;
    for (let column = 0; column < columns; column++)
      sum += (weights[row * columns + column] as number) * (h[column] as number);
    return sum;
  });
  const largest = Math.max(...logits);
  const logSum = largest + Math.log(logits.reduce((sum, logit) => sum + Math.exp(logit - largest), 0));
  return logits.map((logit) => logit - logSum);
}

describe.skipIf(!installed)('dequantize, checked against llama.cpp', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-dequantize-llama-'));
  let llama: Llama;
  beforeAll(async () => {
    const module = await loadNodeLlamaCpp();
    llama = await module.getLlama({
      gpu: false,
      build: 'never',
      skipDownload: true,
      maxThreads: 2,
      progressLogs: false,
      logLevel: 'error',
    });
  });
  afterAll(async () => {
    await llama?.dispose();
    rmSync(folder, { recursive: true, force: true });
  });

  /** Writes the probe, has llama.cpp evaluate `<s>`, and returns its log p of every token with ours. */
  async function compare(name: string, hidden: Float32Array, output: { type: string; bytes: Uint8Array }) {
    const vocabulary = output.bytes.length / ggmlByteLength(ggmlTypeByName(output.type), hidden.length);
    const path = join(folder, `${name}.gguf`);
    await writeProbeGguf(path, { hidden, output, vocabulary });
    const model = await llama.loadModel({ modelPath: path });
    let probabilities: Map<number, number> | undefined;
    try {
      const context = await model.createContext({ contextSize: 64, threads: 2, sequences: 1 });
      const [result] = await context
        .getSequence()
        .controlledEvaluate([[probeBos, { generateNext: { probabilities: true } }]]);
      probabilities = result?.next.probabilities;
      await context.dispose();
    } finally {
      await model.dispose();
    }
    const file = await readGgufTensors(path);
    const weights = await file.loadTensor('output.weight').finally(() => file.close());
    const theirs = Array.from({ length: vocabulary }, (_, token) => Math.log(probabilities?.get(token) ?? 0));
    return { theirs, weights, ours: predictedLogProbabilities(weights, hidden) };
  }
  const largestGap = (a: number[], b: number[]) =>
    Math.max(...a.map((value, index) => Math.abs(value - (b[index] as number))));

  // For each type: noise bytes, except the halves that scale each block (at these offsets), set
  // to values that keep the logits within ±30, where float32 probabilities are still exact
  // enough; F16 and BF16 values are kept to a few tenths.
  const scaleHalves: [type: string, offsets: number[], halves: number[]][] = [
    ['F32', [], []],
    ['F16', [], []],
    ['BF16', [], []],
    ['Q4_0', [0], [0x2c00]],
    ['Q4_1', [0, 2], [0x2800, 0xb400]],
    ['Q8_0', [0], [0x2000]],
    ['Q4_K', [0, 2], [0x1400, 0x1800]],
    ['Q5_K', [0, 2], [0x1000, 0x1400]],
    ['Q6_K', [208], [0x0c00]],
  ];
  it.each(scaleHalves)('reads %s as llama.cpp does', async (typeName, offsets, halves) => {
    const type = ggmlTypeByName(typeName);
    const columns = 256;
    const rows = 300;
    const bytes = noise(
      (columns * rows * type.blockBytes) / type.blockElements,
      typeName.charCodeAt(1) * 31 + typeName.length,
    );
    if (typeName === 'F32') {
      const floats = new Float32Array(bytes.buffer);
      floats.forEach((_, index) => {
        floats[index] = ((bytes[4 * index] as number) / 255 - 0.5) * 0.6;
      });
    }
    // Sign, a small exponent and two mantissa bits: |value| below about 0.4 for either type.
    if (typeName === 'F16' || typeName === 'BF16')
      for (let at = 1; at < bytes.length; at += 2)
        bytes[at] = ((bytes[at] as number) & 0x83) | (typeName === 'F16' ? 0x30 : 0x3c);
    for (let block = 0; block < bytes.length; block += type.blockBytes)
      offsets.forEach((offset, index) => {
        const half = halves[index] as number;
        bytes.set([half & 0xff, half >> 8], block + offset);
      });
    const { theirs, ours } = await compare(typeName, probeHidden(columns), { type: typeName, bytes });
    expect(theirs.every(Number.isFinite)).toBe(true);
    expect(largestGap(theirs, ours)).toBeLessThan(tolerance);
  });

  const pulled = pulledBaseModel();
  describe.skipIf(pulled === null)('on the pulled SmolLM2 weights', () => {
    /** The first `rows` rows of a tensor of the real model, as its raw bytes. */
    async function realBytes(name: string, rows: number) {
      const file = await readGgufTensors(pulled as string);
      const tensor = file.tensors.find((candidate) => candidate.name === name);
      await file.close();
      if (!tensor) throw new Error(`the pulled model has no ${name}`);
      const bytes = new Uint8Array((tensor.byteLength / (tensor.dimensions[1] as number)) * rows);
      const handle = await open(pulled as string, 'r');
      await handle
        .read(bytes, 0, bytes.length, file.dataOffset + tensor.offset)
        .finally(() => handle.close());
      return { type: tensor.type.name, bytes };
    }

    it('reads the Q4_1 feed-forward gate of layer 0 as llama.cpp does, and the nibbles interleaved would not', async () => {
      const output = await realBytes('blk.0.ffn_gate.weight', 1536);
      const hidden = probeHidden(576);
      const { theirs, ours, weights } = await compare('smollm2-ffn-gate', hidden, output);
      expect(output.type).toBe('Q4_1');
      expect(largestGap(theirs, ours)).toBeLessThan(tolerance);
      // An easy mistake, values 2j and 2j + 1 taken from byte j's two nibbles, moves log p by far
      // more than the tolerance: the comparison tells them apart.
      const interleaved = weights.map((_, index) => {
        const start = index - (index % 32);
        const within = index % 32;
        return weights[start + (within % 2) * 16 + (within >> 1)] as number;
      });
      expect(largestGap(theirs, predictedLogProbabilities(interleaved, hidden))).toBeGreaterThan(0.1);
    });

    it('reads the Q8_0 token embeddings (their first 1536 rows) as llama.cpp does', async () => {
      const output = await realBytes('token_embd.weight', 1536);
      const { theirs, ours } = await compare('smollm2-token-embd', probeHidden(576), output);
      expect(output.type).toBe('Q8_0');
      expect(largestGap(theirs, ours)).toBeLessThan(tolerance);
    });
  });
});
