import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyOnnxModel } from './__fixtures__/write-tiny-onnx-model.ts';
import { dot, maxDifference, runEmbedderContract } from './embedder-contract.ts';
import { TransformersEmbedder, type TransformersEmbedderOptions } from './transformers-embedder.ts';

let root: string | undefined;
let modelFolder: Promise<string> | undefined;
const networkAttempts: string[] = [];

async function tempRoot(): Promise<string> {
  root ??= await mkdtemp(join(tmpdir(), 'twin-transformers-'));
  return root;
}

/** Written once per file, lazily, because the contract suite's factory runs inside its own hooks. */
function tinyModel(): Promise<string> {
  modelFolder ??= tempRoot().then((folder) =>
    writeTinyOnnxModel(join(folder, 'tiny-bert'), { quantized: true }),
  );
  return modelFolder;
}

async function create(overrides: Partial<TransformersEmbedderOptions> = {}): Promise<TransformersEmbedder> {
  return TransformersEmbedder.create({
    modelPath: await tinyModel(),
    pooling: 'mean',
    normalize: true,
    quantized: false,
    maxBatchSize: 3,
    ...overrides,
  });
}

beforeAll(() => {
  // Any remote attempt would go here and fail at once, and be recorded; none is allowed.
  env.remoteHost = 'http://127.0.0.1:9/';
  env.fetch = async (input: string | URL) => {
    networkAttempts.push(String(input));
    throw new Error(`network access attempted: ${String(input)}`);
  };
});

afterAll(async () => {
  expect(networkAttempts).toEqual([]);
  if (root) await rm(root, { recursive: true, force: true });
});

runEmbedderContract('TransformersEmbedder (tiny ONNX model, mean pooling)', () => create());
runEmbedderContract('TransformersEmbedder (tiny ONNX model, cls pooling)', () => create({ pooling: 'cls' }));

describe('TransformersEmbedder', () => {
  it('reads its dimensions from the model and names the folder, the model hash and the pooling', async () => {
    const embedder = await create();
    const wide = await TransformersEmbedder.create({
      modelPath: await writeTinyOnnxModel(join(await tempRoot(), 'wide-bert'), { hidden: 16 }),
      pooling: 'mean',
      normalize: true,
      quantized: false,
      maxBatchSize: 8,
    });
    try {
      expect(embedder.dimensions).toBe(8);
      expect(wide.dimensions).toBe(16);
      expect(embedder.id).toMatch(/^transformers:tiny-bert@[0-9a-f]{12}:mean$/);
      const [vector] = await wide.embed(['hello world']);
      expect(vector).toHaveLength(16);
    } finally {
      await Promise.all([embedder.close(), wide.close()]);
    }
  });

  it('changes its id when the weights change, and only then', async () => {
    const base = await tempRoot();
    const sameA = await TransformersEmbedder.create({
      modelPath: await writeTinyOnnxModel(join(base, 'copy-a', 'tiny-bert')),
      pooling: 'mean',
      normalize: true,
      quantized: false,
      maxBatchSize: 8,
    });
    const retrained = await TransformersEmbedder.create({
      modelPath: await writeTinyOnnxModel(join(base, 'copy-b', 'tiny-bert'), { seed: 7 }),
      pooling: 'mean',
      normalize: true,
      quantized: false,
      maxBatchSize: 8,
    });
    const reference = await create();
    const quantized = await create({ quantized: true });
    try {
      expect(sameA.id).toBe(reference.id);
      expect(retrained.id).not.toBe(reference.id);
      expect(quantized.id).not.toBe(reference.id);
      const [a] = await reference.embed(['hello world']);
      const [b] = await retrained.embed(['hello world']);
      expect(maxDifference(a!, b!)).toBeGreaterThan(1e-3);
    } finally {
      await Promise.all([sameA.close(), retrained.close(), reference.close(), quantized.close()]);
    }
  });

  it('puts texts that share words closer than unrelated ones', async () => {
    const embedder = await create();
    try {
      const [cat, cats, physics] = await embedder.embed([
        'The cat sat on the mat.',
        'A cat sits on the mat!',
        'Quantum physics is hard.',
      ]);
      expect(dot(cat!, cats!)).toBeGreaterThan(dot(cat!, physics!) + 0.2);
    } finally {
      await embedder.close();
    }
  });

  it('names the folder and every missing file instead of downloading', async () => {
    const folder = join(await tempRoot(), 'incomplete');
    await writeTinyOnnxModel(folder);
    await rm(join(folder, 'onnx'), { recursive: true });
    await rm(join(folder, 'tokenizer.json'));
    const error = await create({ modelPath: folder }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'ConfigError' });
    expect((error as { problems: string[] }).problems).toEqual([
      `embedder.modelPath: ${folder} is missing tokenizer.json`,
      `embedder.modelPath: ${folder} is missing ${join('onnx', 'model.onnx')}`,
    ]);
  });

  it('refuses a path that is not a folder, even one that looks like a Hub model id', async () => {
    await expect(create({ modelPath: 'Xenova/all-MiniLM-L6-v2' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/Xenova\/all-MiniLM-L6-v2 is not a folder.*never downloaded/),
    });
  });

  it('reports a corrupt model file as a configuration problem', async () => {
    const folder = await writeTinyOnnxModel(join(await tempRoot(), 'corrupt'));
    await writeFile(join(folder, 'onnx', 'model.onnx'), 'not a protobuf');
    await expect(create({ modelPath: folder })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(`could not load the model in ${folder}`),
    });
  });

  it('refuses normalize: false, which would break the unit-length promise', async () => {
    await expect(create({ normalize: false })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('normalize'),
    });
  });
});
