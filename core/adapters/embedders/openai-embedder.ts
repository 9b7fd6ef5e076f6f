import { z } from 'zod';
import { ServiceError, ValidationError } from '../../errors.ts';
import { OpenAIHttpClient } from '../../http/openai-http-client.ts';
import { type Logger, silentLogger } from '../../logger.ts';
import type { Embedder } from '../../ports/embedder.ts';
import { assertEmbeddable } from './assert-embeddable.ts';
import { splitIntoBatches } from './split-into-batches.ts';
import { toUnitVector } from './to-unit-vector.ts';

export interface OpenAIEmbedderOptions {
  /** API root including the version, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
  baseUrl: string;
  model: string;
  apiKey: string | null;
  /** Asked of the API (text-embedding-3-* can shorten vectors) and checked; null = whatever the model gives. */
  dimensions: number | null;
  maxBatchSize: number;
  /** Per attempt. */
  timeoutMs: number;
  /** Extra attempts after the first, on 408/409/429/5xx, timeouts and connection errors. */
  retries: number;
  /** First backoff; doubles on each retry unless the API says how long to wait. */
  backoffMs?: number;
  /** Longest wait between two attempts, whatever Retry-After asks for. */
  maxRetryDelayMs?: number;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Waits between attempts; injectable so tests can see the delays without spending them. */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** The fields we use of POST /embeddings; OpenAI, Ollama, vLLM and LM Studio all answer this shape. */
const EmbeddingsResponse = z.object({
  data: z.array(
    z.object({
      index: z.number().int().min(0),
      // A base64 string when the server ignores encoding_format: 'float' (little-endian float32).
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string().optional(),
  usage: z.object({ prompt_tokens: z.number(), total_tokens: z.number() }).partial().nullish(),
});

/**
 * Any OpenAI-compatible embeddings endpoint. Batches are sent one after another (friendlier to
 * rate limits than parallel calls); results are re-ordered by `index`, checked for size and
 * normalised, since not every compatible server returns unit vectors.
 */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  private readonly options: OpenAIEmbedderOptions;
  private readonly client: OpenAIHttpClient;
  private readonly url: string;
  private readonly closing = new AbortController();
  private readonly logger: Logger;

  private constructor(options: OpenAIEmbedderOptions, dimensions: number) {
    this.options = options;
    this.id = `openai:${options.model}@${new URL(options.baseUrl).host}`;
    this.dimensions = dimensions;
    this.maxBatchSize = options.maxBatchSize;
    this.logger = (options.logger ?? silentLogger).child({ embedder: this.id });
    this.client = new OpenAIHttpClient({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      service: `embeddings endpoint (${options.model})`,
      logger: this.logger,
      ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
      ...(options.maxRetryDelayMs === undefined ? {} : { maxRetryDelayMs: options.maxRetryDelayMs }),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    this.url = this.client.url('/embeddings');
  }

  /** Without configured dimensions, one probe call asks the model how wide its vectors are. */
  static async create(options: OpenAIEmbedderOptions): Promise<OpenAIEmbedder> {
    if (options.dimensions !== null) return new OpenAIEmbedder(options, options.dimensions);
    const probing = new OpenAIEmbedder(options, 0);
    const [probe] = await probing.request(['dimension probe']);
    if (!probe) throw new ServiceError(`${probing.url} returned no vector for a probe text`);
    return new OpenAIEmbedder(options, probe.length);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    assertEmbeddable(texts);
    const vectors: Float32Array[] = [];
    for (const batch of splitIntoBatches(texts, this.maxBatchSize)) {
      const received = await this.request(batch);
      for (const vector of received) {
        if (vector.length !== this.dimensions) {
          throw new ServiceError(
            `${this.url} returned ${vector.length}-d vectors, expected ${this.dimensions} (model ${this.options.model})`,
          );
        }
      }
      vectors.push(...received);
    }
    return vectors;
  }

  async close(): Promise<void> {
    this.closing.abort(new ValidationError('embedder closed'));
  }

  /** One batch, with the client's retries. Vectors come back in input order, unit length, all the same size. */
  private async request(batch: string[]): Promise<Float32Array[]> {
    if (this.closing.signal.aborted) throw new ValidationError('OpenAIEmbedder is closed');
    const response = await this.client.json('POST', '/embeddings', EmbeddingsResponse, {
      json: {
        model: this.options.model,
        input: batch,
        encoding_format: 'float',
        ...(this.options.dimensions !== null ? { dimensions: this.options.dimensions } : {}),
      },
      signal: this.closing.signal,
    });
    this.logger.debug('embedded batch', { texts: batch.length, promptTokens: response.usage?.prompt_tokens });
    return this.vectorsInOrder(response.data, batch.length);
  }

  private vectorsInOrder(data: z.infer<typeof EmbeddingsResponse>['data'], expected: number): Float32Array[] {
    const byIndex = new Array<Float32Array | undefined>(expected);
    for (const item of data) {
      if (item.index >= expected || byIndex[item.index]) {
        throw new ServiceError(`POST ${this.url} returned index ${item.index} twice or out of range`);
      }
      const values = typeof item.embedding === 'string' ? decodeBase64Floats(item.embedding) : item.embedding;
      try {
        byIndex[item.index] = toUnitVector(values);
      } catch (error) {
        throw new ServiceError(`POST ${this.url} returned a bad vector at index ${item.index}`, {
          cause: error,
        });
      }
    }
    const vectors = byIndex.filter((vector): vector is Float32Array => vector !== undefined);
    if (vectors.length !== expected) {
      throw new ServiceError(`POST ${this.url} returned ${vectors.length} vectors for ${expected} texts`);
    }
    const width = vectors[0]?.length;
    if (vectors.some((vector) => vector.length !== width)) {
      const sizes = [...new Set(vectors.map((vector) => vector.length))].join(', ');
      throw new ServiceError(`POST ${this.url} returned vectors of mixed sizes (${sizes})`);
    }
    if (this.options.dimensions !== null && width !== this.options.dimensions) {
      throw new ServiceError(
        `POST ${this.url} returned ${width}-d vectors, but ${this.options.dimensions} were configured (model ${this.options.model})`,
      );
    }
    return vectors;
  }
}

function decodeBase64Floats(encoded: string): Float32Array {
  const bytes = Buffer.from(encoded, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: Math.floor(bytes.byteLength / 4) }, (_, index) =>
    view.getFloat32(index * 4, true),
  );
}
