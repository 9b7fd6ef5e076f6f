import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pulledBaseModel } from '../__fixtures__/pulled-base-model.ts';
import { type GgufTensorFile, readGgufTensors } from './read-gguf-tensors.ts';

// The real SmolLM2-135M-Instruct Q4_1 file, as `twin models pull` leaves it: skipped on a machine
// without it, an error under CI=true (see pulledBaseModel).
const path = pulledBaseModel();
// node-llama-cpp is an optional dependency: without it, the cross-check against its reader is skipped.
const installed = existsSync(
  resolve(import.meta.dirname, '../../../node_modules/node-llama-cpp/package.json'),
);

/** The part of node-llama-cpp's GGUF reader the cross-check reads. */
type NodeLlamaCppGguf = {
  readGgufFileInfo(
    path: string,
    options: { logWarnings: boolean },
  ): Promise<{
    version: number;
    fullTensorInfo?: readonly {
      name: string;
      dimensions: readonly (number | bigint)[];
      ggmlType: number;
      offset: number | bigint;
      fileOffset: number | bigint;
    }[];
  }>;
};

describe.skipIf(path === null)('readGgufTensors on the pulled SmolLM2-135M-Instruct (Q4_1)', () => {
  let file: GgufTensorFile;
  beforeAll(async () => {
    file = await readGgufTensors(path as string);
  });
  afterAll(async () => {
    await file?.close();
  });
  const size = (key: string) => file.metadata.get(`llama.${key}`)?.value as number;

  it('states the sizes of SmolLM2-135M, and lists exactly the tensors a llama of those sizes has', () => {
    // SmolLM2-135M's config.json: hidden size 576, 30 layers, feed-forward 1536, 9 query heads and
    // 3 key-value heads of 64, a vocabulary of 49 152, input and output embeddings tied (so no
    // output.weight).
    expect(
      [
        'embedding_length',
        'block_count',
        'feed_forward_length',
        'attention.head_count',
        'attention.head_count_kv',
      ].map(size),
    ).toEqual([576, 30, 1536, 9, 3]);
    const vocabulary =
      (file.metadata.get('tokenizer.ggml.tokens')?.value as string[] | undefined)?.length ?? 0;
    expect(vocabulary).toBe(49_152);
    const embedding = size('embedding_length');
    const keyValue = (embedding / size('attention.head_count')) * size('attention.head_count_kv');
    const feedForward = size('feed_forward_length');
    // Dimensions fastest-varying first: a projection from n inputs to m outputs is [n, m].
    const expected: [string, number[]][] = [
      ['token_embd.weight', [embedding, vocabulary]],
      ['output_norm.weight', [embedding]],
    ];
    for (let block = 0; block < size('block_count'); block++) {
      const layer = (name: string, dimensions: number[]) =>
        expected.push([`blk.${block}.${name}.weight`, dimensions]);
      layer('attn_norm', [embedding]);
      layer('attn_q', [embedding, embedding]);
      layer('attn_k', [embedding, keyValue]);
      layer('attn_v', [embedding, keyValue]);
      layer('attn_output', [embedding, embedding]);
      layer('ffn_norm', [embedding]);
      layer('ffn_gate', [embedding, feedForward]);
      layer('ffn_up', [embedding, feedForward]);
      layer('ffn_down', [feedForward, embedding]);
    }
    expect(file.tensors).toHaveLength(272);
    const byName = (entries: [string, readonly number[]][]) =>
      new Map([...entries].sort(([a], [b]) => a.localeCompare(b)));
    expect(byName(file.tensors.map((tensor) => [tensor.name, tensor.dimensions]))).toEqual(byName(expected));
  });

  it('keeps the norms in F32, the token embeddings in Q8_0 and every other matrix in Q4_1', () => {
    const names = (type: string) =>
      file.tensors.filter((tensor) => tensor.type.name === type).map((tensor) => tensor.name);
    expect(new Set(file.tensors.map((tensor) => tensor.type.name))).toEqual(new Set(['F32', 'Q8_0', 'Q4_1']));
    expect(names('Q8_0')).toEqual(['token_embd.weight']);
    expect(names('F32')).toHaveLength(61);
    expect(names('F32').every((name) => name.endsWith('norm.weight'))).toBe(true);
    expect(names('Q4_1')).toHaveLength(210);
  });

  it('dequantises every tensor to finite weights of the sizes a trained model has', async () => {
    const stats = new Map<string, { mean: number; rms: number; largest: number }>();
    for (const tensor of file.tensors) {
      const values = await file.loadTensor(tensor.name);
      expect(values.length).toBe(tensor.elements);
      let sum = 0;
      let squares = 0;
      let largest = 0;
      for (const value of values) {
        if (!Number.isFinite(value)) throw new Error(`${tensor.name} has the value ${value}`);
        sum += value;
        squares += value * value;
        largest = Math.max(largest, Math.abs(value));
      }
      stats.set(tensor.name, { mean: sum / values.length, rms: Math.sqrt(squares / values.length), largest });
    }
    const of = (name: string) => stats.get(name) as { mean: number; rms: number; largest: number };
    // RMSNorm scales: positive on average, well below 1 inside the layers (from layer 1 on; the
    // first layer's attention norm is near zero in this model), larger for the final norm.
    for (let block = 1; block < 30; block++) {
      for (const norm of ['attn_norm', 'ffn_norm']) {
        const { mean, largest } = of(`blk.${block}.${norm}.weight`);
        expect(mean).toBeGreaterThan(0.1);
        expect(mean).toBeLessThan(0.5);
        expect(largest).toBeLessThan(2);
      }
    }
    expect(of('output_norm.weight').mean).toBeGreaterThan(1);
    expect(of('output_norm.weight').mean).toBeLessThan(3);
    // Projection weights: centred on zero, spread a few hundredths to a few tenths, a few outliers near 10.
    for (const tensor of file.tensors.filter((tensor) => tensor.dimensions.length === 2)) {
      const { mean, rms, largest } = of(tensor.name);
      expect(Math.abs(mean)).toBeLessThan(0.01);
      expect(rms).toBeGreaterThan(0.02);
      expect(rms).toBeLessThan(0.5);
      expect(largest).toBeLessThan(16);
    }
  }, 120_000);

  it.skipIf(!installed)(
    'agrees with node-llama-cpp’s reader on every tensor’s name, shape, type and place',
    async () => {
      // A variable specifier, as in load-node-llama-cpp.ts: the optional package is not needed to type-check.
      const specifier: string = 'node-llama-cpp';
      const { readGgufFileInfo } = (await import(specifier)) as NodeLlamaCppGguf;
      const info = await readGgufFileInfo(path as string, { logWarnings: false });
      expect(info.version).toBe(file.version);
      const theirs = (info.fullTensorInfo ?? []).map((tensor) => ({
        name: tensor.name,
        dimensions: tensor.dimensions.map(Number),
        type: tensor.ggmlType,
        offset: Number(tensor.offset),
        fileOffset: Number(tensor.fileOffset),
      }));
      const ours = file.tensors.map((tensor) => ({
        name: tensor.name,
        dimensions: tensor.dimensions,
        type: tensor.type.id,
        offset: tensor.offset,
        fileOffset: file.dataOffset + tensor.offset,
      }));
      expect(ours).toEqual(theirs);
    },
  );
});
