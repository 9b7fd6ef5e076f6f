import { setTimeout as sleepFor } from 'node:timers/promises';
import type { z } from 'zod';
import { errorMessage, ServiceError } from '../../core/errors.ts';
import { isTimeout } from '../../core/http/is-timeout.ts';
import { describeOpenAIError } from '../../core/http/openai-error-body.ts';
import { retryAfterFromHeaders } from '../../core/http/retry-after.ts';
import { type Logger, silentLogger } from '../../core/logger.ts';

export interface OpenAIRestClientOptions {
  /** API root including the version, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
  baseUrl: string;
  apiKey: string | null;
  /** Per attempt. */
  timeoutMs: number;
  /** Extra attempts after the first, on 408/409/429/5xx, timeouts and connection errors. */
  retries?: number;
  /** First backoff; doubles on each retry unless the API says how long to wait. */
  backoffMs?: number;
  /** Longest wait between two attempts, whatever Retry-After asks for. */
  maxRetryDelayMs?: number;
  /** Names the service in error messages ("OpenAI", "judge"). */
  service?: string;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Waits between attempts; injectable so tests can see the delays without spending them. */
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

export type RequestOptions = {
  /** Sent as a JSON body. */
  json?: unknown;
  /** Sent as multipart/form-data (file uploads). */
  form?: FormData;
  signal?: AbortSignal;
};

const retryableStatuses = new Set([408, 409, 429]);

/** An OpenAI-compatible API answered with an error, or could not be reached. */
export class OpenAIApiError extends ServiceError {
  /** HTTP status; null when no response arrived. */
  readonly status: number | null;
  /** OpenAI's machine-readable code (`invalid_api_key`, `rate_limit_exceeded`…), when given. */
  readonly code: string | null;
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: {
      status: number | null;
      code?: string | null;
      retryable: boolean;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, { retryable: options.retryable, cause: options.cause });
    this.status = options.status;
    this.code = options.code ?? null;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A small JSON-over-fetch client for OpenAI-compatible APIs: bearer auth, per-attempt timeout,
 * retries with backoff that honours Retry-After, and every response parsed with the caller's zod
 * schema. We use fetch rather than the `openai` package so that waits are injectable (tests never
 * spend real time), errors become our own `ServiceError`s, and every body is validated at the edge.
 */
export class OpenAIRestClient {
  private readonly options: OpenAIRestClientOptions;
  private readonly root: string;
  private readonly service: string;
  private readonly logger: Logger;

  constructor(options: OpenAIRestClientOptions) {
    this.options = options;
    this.root = options.baseUrl.replace(/\/+$/, '');
    this.service = options.service ?? 'OpenAI';
    this.logger = options.logger ?? silentLogger;
  }

  /** Sends a request and returns its JSON body parsed with `schema`. */
  async json<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: S,
    options: RequestOptions = {},
  ): Promise<z.output<S>> {
    const text = await this.send(method, path, options);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new OpenAIApiError(`${method} ${this.url(path)} returned invalid JSON: ${text.slice(0, 200)}`, {
        status: 200,
        retryable: false,
        cause: error,
      });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      throw new OpenAIApiError(
        `${method} ${this.url(path)} returned an unexpected body: ${problems.join('; ')}`,
        { status: 200, retryable: false },
      );
    }
    return parsed.data;
  }

  /** Sends a GET and returns the raw body (file contents). */
  text(path: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    return this.send('GET', path, options);
  }

  private url(path: string): string {
    return `${this.root}${path}`;
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<string> {
    const retries = this.options.retries ?? 2;
    const wait =
      this.options.sleep ?? ((milliseconds, signal) => sleepFor(milliseconds, undefined, { signal }));
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(method, path, options);
      } catch (error) {
        const retryable = error instanceof OpenAIApiError && error.retryable;
        if (!retryable || attempt >= retries || options.signal?.aborted) throw error;
        const delay = this.retryDelay(attempt, error);
        this.logger.warn(`${this.service} request failed, retrying`, {
          request: `${method} ${path}`,
          attempt: attempt + 1,
          delayMs: delay,
          error: error.message,
        });
        await wait(delay, options.signal);
      }
    }
  }

  private async attempt(method: string, path: string, options: RequestOptions): Promise<string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let body: string | FormData | undefined;
    if (options.form) body = options.form;
    else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const signals = [AbortSignal.timeout(this.options.timeoutMs)];
    if (options.signal) signals.push(options.signal);
    const url = this.url(path);

    let response: Response;
    let text: string;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.any(signals),
      });
      text = await response.text();
    } catch (error) {
      const aborted = options.signal?.aborted ?? false;
      const reason = isTimeout(error) ? `timed out after ${this.options.timeoutMs} ms` : errorMessage(error);
      throw new OpenAIApiError(`${method} ${url} failed: ${aborted ? 'aborted' : reason}`, {
        status: null,
        retryable: !aborted,
        cause: error,
      });
    }
    if (response.ok) return text;

    const { message, code } = describeOpenAIError(text);
    const retryable = retryableStatuses.has(response.status) || response.status >= 500;
    const hint = response.status === 401 ? ` (check the API key configured for ${this.service})` : '';
    throw new OpenAIApiError(
      `${this.service} ${method} ${path} answered ${response.status}${code ? ` ${code}` : ''}: ${message}${hint}`,
      { status: response.status, code, retryable, retryAfterMs: retryAfterFromHeaders(response.headers) },
    );
  }

  private retryDelay(attempt: number, error: OpenAIApiError): number {
    const cap = this.options.maxRetryDelayMs ?? 30_000;
    if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, cap);
    const base = (this.options.backoffMs ?? 500) * 2 ** attempt;
    // Jitter keeps many workers that failed together from retrying together.
    return Math.min(Math.round(base * (0.75 + Math.random() * 0.5)), cap);
  }
}
