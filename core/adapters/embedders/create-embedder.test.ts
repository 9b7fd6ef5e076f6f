import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbedderConfig } from '../../config/config-schema.ts';
import type { Embedder } from '../../ports/embedder.ts';
import { writeTinyOnnxModel } from './__fixtures__/write-tiny-onnx-model.ts';
import { createEmbedder } from './create-embedder.ts';
import { EmbedderPool } from './embedder-pool.ts';
import { OpenAIEmbedder } from './openai-embedder.ts';
import { TransformersEmbedder } from './transformers-embedder.ts';
import { UseLiteEmbedder } from './use-lite-embedder.ts';

let root: string;
let transformers: Extract<EmbedderConfig, { provider: 'transformers' }>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'twin-create-embedder-'));
  const modelPath = await writeTinyOnnxModel(join(root, 'tiny-bert'));
  transformers = {
    provider: 'transformers',
    modelPath,
    pooling: 'mean',
    normalize: true,
    quantized: false,
    workers: 2,
    batchSize: 8,
  };
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function using<T>(embedder: Embedder, check: (embedder: Embedder) => T | Promise<T>): Promise<T> {
  try {
    return await check(embedder);
  } finally {
    await embedder.close();
  }
}

describe('createEmbedder', () => {
  it('builds the in-process adapter the provider names', async () => {
    await using(await createEmbedder({ provider: 'use-lite', workers: 2, batchSize: 16 }), (embedder) => {
      expect(embedder).toBeInstanceOf(UseLiteEmbedder);
      expect(embedder.maxBatchSize).toBe(16);
    });
    await using(await createEmbedder(transformers), (embedder) =>
      expect(embedder).toBeInstanceOf(TransformersEmbedder),
    );
    const openai: EmbedderConfig = {
      provider: 'openai',
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'text-embedding-3-small',
      apiKey: null,
      dimensions: 8,
      batchSize: 100,
      timeoutMs: 1_000,
      retries: 0,
    };
    // With dimensions configured no request is made, so no server is needed here.
    await using(await createEmbedder(openai), (embedder) => {
      expect(embedder).toBeInstanceOf(OpenAIEmbedder);
      expect(embedder.id).toBe('openai:text-embedding-3-small@127.0.0.1:9');
    });
    await using(await createEmbedder(openai, { bulk: true }), (embedder) =>
      expect(embedder).toBeInstanceOf(OpenAIEmbedder),
    );
  });

  it('spreads bulk work over a pool with the single embedder’s identity', async () => {
    const single = await createEmbedder(transformers);
    await using(await createEmbedder(transformers, { bulk: true }), async (pool) => {
      expect(pool).toBeInstanceOf(EmbedderPool);
      expect((pool as EmbedderPool).size).toBe(2);
      expect(pool.id).toBe(single.id);
      const [fromPool] = await pool.embed(['hello world']);
      const [fromSingle] = await single.embed(['hello world']);
      expect(fromPool).toEqual(fromSingle);
    });
    await single.close();
  });

  it('keeps bulk work off the main thread even with one worker, and uses one worker per core for workers: 0', async () => {
    await using(await createEmbedder({ ...transformers, workers: 1 }, { bulk: true }), (embedder) => {
      expect(embedder).toBeInstanceOf(EmbedderPool);
      expect((embedder as EmbedderPool).size).toBe(1);
    });
    await using(await createEmbedder({ ...transformers, workers: 0 }, { bulk: true }), (embedder) => {
      expect(embedder).toBeInstanceOf(EmbedderPool);
      expect((embedder as EmbedderPool).size).toBe(availableParallelism());
    });
  });
});
