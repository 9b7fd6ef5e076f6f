import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyOnnxModel } from './__fixtures__/write-tiny-onnx-model.ts';
import type { LocalEmbedderConfig } from './create-single-embedder.ts';
import { contractTexts, maxDifference, runEmbedderContract } from './embedder-contract.ts';
import { EmbedderPool } from './embedder-pool.ts';
import { TransformersEmbedder } from './transformers-embedder.ts';
import { UseLiteEmbedder } from './use-lite-embedder.ts';

const useLite: LocalEmbedderConfig = { provider: 'use-lite', workers: 2, batchSize: 3 };
const misbehaving = new URL('./__fixtures__/misbehaving-embedder-worker.ts', import.meta.url);

let root: string;
let tiny: Extract<LocalEmbedderConfig, { provider: 'transformers' }>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'twin-pool-'));
  const modelPath = await writeTinyOnnxModel(join(root, 'tiny-bert'));
  tiny = {
    provider: 'transformers',
    modelPath,
    pooling: 'mean',
    normalize: true,
    quantized: false,
    workers: 2,
    batchSize: 3,
  };
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

runEmbedderContract('EmbedderPool (2 workers over USE-lite)', () =>
  EmbedderPool.create({ config: useLite, workers: 2 }),
);

describe('EmbedderPool', () => {
  it('gives exactly the vectors, id and sizes of the single USE-lite embedder', async () => {
    const pool = await EmbedderPool.create({ config: useLite, workers: 2 });
    const single = await UseLiteEmbedder.create({ maxBatchSize: useLite.batchSize });
    try {
      expect([pool.id, pool.dimensions, pool.maxBatchSize]).toEqual([
        single.id,
        single.dimensions,
        single.maxBatchSize,
      ]);
      const texts = [...contractTexts, ...contractTexts.map((text) => text.toUpperCase())];
      const [fromPool, fromSingle] = await Promise.all([pool.embed(texts), single.embed(texts)]);
      expect(fromPool).toHaveLength(texts.length);
      fromPool.forEach((vector, index) => {
        expect(vector).toEqual(fromSingle[index]);
      });
    } finally {
      await Promise.all([pool.close(), single.close()]);
    }
  });

  it('gives exactly the vectors of the single transformers embedder', async () => {
    const pool = await EmbedderPool.create({ config: tiny, workers: 2 });
    const single = await TransformersEmbedder.create({ ...tiny, maxBatchSize: tiny.batchSize });
    try {
      expect(pool.id).toBe(single.id);
      const texts = Array.from({ length: 20 }, (_, index) =>
        contractTexts[index % contractTexts.length]!.repeat(1 + (index % 3)),
      );
      const [fromPool, fromSingle] = await Promise.all([pool.embed(texts), single.embed(texts)]);
      fromPool.forEach((vector, index) => {
        expect(vector).toEqual(fromSingle[index]);
      });
    } finally {
      await Promise.all([pool.close(), single.close()]);
    }
  });

  describe('with workers that misbehave on cue', () => {
    let pool: EmbedderPool;

    beforeAll(async () => {
      pool = await EmbedderPool.create({ config: tiny, workers: 2, workerModule: misbehaving });
    });

    afterAll(async () => {
      await pool?.close();
    });

    it('fails only the batch of a worker that exits, and replaces the worker', async () => {
      const healthy = contractTexts.slice(0, 3);
      const [good, crashed] = await Promise.allSettled([
        pool.embed(healthy),
        pool.embed(['hello world', 'crash now']),
      ]);
      expect(good.status).toBe('fulfilled');
      expect(crashed).toMatchObject({
        status: 'rejected',
        reason: {
          name: 'ServiceError',
          retryable: true,
          message: expect.stringMatching(/crashed \(exit code 3\) while embedding a batch of 2 texts/),
        },
      });
      await expect.poll(() => pool.size, { timeout: 30_000 }).toBe(2);
      const again = await pool.embed(healthy);
      expect(good.status === 'fulfilled' && maxDifference(good.value[0]!, again[0]!)).toBe(0);
    });

    it('reports an uncaught exception in a worker with its message', async () => {
      await expect(pool.embed(['throw now'])).rejects.toThrow(/crashed \(engine blew up\)/);
      await expect.poll(() => pool.size, { timeout: 30_000 }).toBe(2);
      await expect(pool.embed(['hello world'])).resolves.toHaveLength(1);
    });

    it('passes an embedder error through as the same kind of error, keeping the worker', async () => {
      await expect(pool.embed(['refuse now'])).rejects.toMatchObject({
        name: 'ValidationError',
        message: 'the engine refused this batch',
      });
      expect(pool.size).toBe(2);
      await expect(pool.embed(['hello world'])).resolves.toHaveLength(1);
    });
  });

  it('fails to start with the embedder’s own configuration error', async () => {
    const missing = join(root, 'no-such-model');
    const error = await EmbedderPool.create({ config: { ...tiny, modelPath: missing }, workers: 2 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ name: 'ConfigError' });
    expect((error as { problems: string[] }).problems[0]).toContain(`${missing} is not a folder`);
  });

  it('rejects batches still queued or running when closed', async () => {
    const pool = await EmbedderPool.create({ config: tiny, workers: 2, workerModule: misbehaving });
    const stuck = pool.embed(['throw now']).catch((error: unknown) => error);
    await pool.close();
    expect(await stuck).toMatchObject({ message: expect.stringMatching(/closed/) });
    expect(pool.size).toBe(0);
  });
});
