import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { errorMessage, ServiceError, ValidationError } from '../../errors.ts';
import { isTimeout } from '../../http/is-timeout.ts';
import { describeOpenAIError } from '../../http/openai-error-body.ts';
import { retryAfterFromHeaders } from '../../http/retry-after.ts';
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

const retryableStatuses = new Set([408, 409, 429]);

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
  private readonly url: string;
  private readonly closing = new AbortController();
  private readonly logger: Logger;

  private constructor(options: OpenAIEmbedderOptions, dimensions: number) {
    this.options = options;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
    this.id = `openai:${options.model}@${new URL(options.baseUrl).host}`;
    this.dimensions = dimensions;
    this.maxBatchSize = options.maxBatchSize;
    this.logger = (options.logger ?? silentLogger).child({ embedder: this.id });
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
    this.closing.abort();
  }

  /** One batch, with retries. Vectors come back in input order, unit length, all the same size. */
  private async request(batch: string[]): Promise<Float32Array[]> {
    if (this.closing.signal.aborted) throw new ValidationError('OpenAIEmbedder is closed');
    const body = JSON.stringify({
      model: this.options.model,
      input: batch,
      encoding_format: 'float',
      ...(this.options.dimensions !== null ? { dimensions: this.options.dimensions } : {}),
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const fetchImpl = this.options.fetch ?? fetch;
    const wait = this.options.sleep ?? ((milliseconds: number) => sleep(milliseconds));

    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(fetchImpl, headers, body, batch.length);
      if (!(outcome instanceof RetryableFailure)) return outcome;
      if (!outcome.retryable || attempt >= this.options.retries || this.closing.signal.aborted) throw outcome;
      const delay = this.retryDelay(attempt, outcome);
      this.logger.warn('embeddings request failed, retrying', {
        attempt: attempt + 1,
        delayMs: delay,
        error: outcome.message,
      });
      await wait(delay);
    }
  }

  /** Returns the vectors, or the error to retry or throw. */
  private async attempt(
    fetchImpl: typeof fetch,
    headers: Record<string, string>,
    body: string,
    expected: number,
  ): Promise<Float32Array[] | RetryableFailure> {
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(this.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.closing.signal]),
      });
      text = await response.text();
    } catch (error) {
      const closed = this.closing.signal.aborted;
      const reason = isTimeout(error) ? `timed out after ${this.options.timeoutMs} ms` : errorMessage(error);
      return new RetryableFailure(
        `POST ${this.url} failed: ${closed ? 'embedder closed' : reason}`,
        !closed,
        undefined,
        error,
      );
    }

    if (!response.ok) {
      const retryable = retryableStatuses.has(response.status) || response.status >= 500;
      const message = `POST ${this.url} answered ${response.status}: ${describeOpenAIError(text).message}`;
      return new RetryableFailure(message, retryable, retryAfterFromHeaders(response.headers));
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return new RetryableFailure(
        `POST ${this.url} returned invalid JSON: ${text.slice(0, 200)}`,
        false,
        undefined,
        error,
      );
    }
    const parsed = EmbeddingsResponse.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      return new RetryableFailure(
        `POST ${this.url} returned an unexpected body: ${problems.join('; ')}`,
        false,
      );
    }
    const usage = parsed.data.usage;
    this.logger.debug('embedded batch', { texts: expected, promptTokens: usage?.prompt_tokens });
    return this.vectorsInOrder(parsed.data.data, expected);
  }

  private vectorsInOrder(
    data: z.infer<typeof EmbeddingsResponse>['data'],
    expected: number,
  ): Float32Array[] | RetryableFailure {
    const byIndex = new Array<Float32Array | undefined>(expected);
    for (const item of data) {
      if (item.index >= expected || byIndex[item.index]) {
        return new RetryableFailure(
          `POST ${this.url} returned index ${item.index} twice or out of range`,
          false,
        );
      }
      const values = typeof item.embedding === 'string' ? decodeBase64Floats(item.embedding) : item.embedding;
      try {
        byIndex[item.index] = toUnitVector(values);
      } catch (error) {
        return new RetryableFailure(
          `POST ${this.url} returned a bad vector at index ${item.index}`,
          false,
          undefined,
          error,
        );
      }
    }
    const vectors = byIndex.filter((vector): vector is Float32Array => vector !== undefined);
    if (vectors.length !== expected) {
      return new RetryableFailure(
        `POST ${this.url} returned ${vectors.length} vectors for ${expected} texts`,
        false,
      );
    }
    const width = vectors[0]?.length;
    if (vectors.some((vector) => vector.length !== width)) {
      const sizes = [...new Set(vectors.map((vector) => vector.length))].join(', ');
      return new RetryableFailure(`POST ${this.url} returned vectors of mixed sizes (${sizes})`, false);
    }
    if (this.options.dimensions !== null && width !== this.options.dimensions) {
      return new RetryableFailure(
        `POST ${this.url} returned ${width}-d vectors, but ${this.options.dimensions} were configured (model ${this.options.model})`,
        false,
      );
    }
    return vectors;
  }

  private retryDelay(attempt: number, failure: RetryableFailure): number {
    const cap = this.options.maxRetryDelayMs ?? 30_000;
    if (failure.retryAfterMs !== undefined) return Math.min(failure.retryAfterMs, cap);
    const base = (this.options.backoffMs ?? 500) * 2 ** attempt;
    // Jitter keeps many workers that failed together from retrying together.
    return Math.min(Math.round(base * (0.75 + Math.random() * 0.5)), cap);
  }
}

/** A ServiceError that remembers how long the server asked us to wait. */
class RetryableFailure extends ServiceError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryable: boolean, retryAfterMs?: number, cause?: unknown) {
    super(message, { retryable, cause });
    this.name = 'ServiceError';
    this.retryAfterMs = retryAfterMs;
  }
}

function decodeBase64Floats(encoded: string): Float32Array {
  const bytes = Buffer.from(encoded, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: Math.floor(bytes.byteLength / 4) }, (_, index) =>
    view.getFloat32(index * 4, true),
  );
}
