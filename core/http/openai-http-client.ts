import { setTimeout as sleepFor } from 'node:timers/promises';
import type { z } from 'zod';
import { errorMessage } from '../errors.ts';
import { type Logger, silentLogger } from '../logger.ts';
import { describeFetchFailure } from './describe-fetch-failure.ts';
import { isTimeout } from './is-timeout.ts';
import { OpenAIApiError } from './openai-api-error.ts';
import { describeOpenAIError } from './openai-error-body.ts';
import { readSseData } from './read-sse-data.ts';
import { RequestDeadline } from './request-deadline.ts';
import { retryAfterFromHeaders } from './retry-after.ts';

export interface OpenAIHttpClientOptions {
  /** API root including the version, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
  baseUrl: string;
  /** Sent as a bearer token; null for local servers that need none (no Authorization header). */
  apiKey: string | null;
  /** Per attempt; for a stream, until the response starts and then between two chunks. */
  timeoutMs: number;
  /** Extra attempts after the first, on 408/409/429/5xx, timeouts and connection errors. */
  retries?: number;
  /** First backoff; doubles on each retry (with jitter) unless the API says how long to wait. */
  backoffMs?: number;
  /** Longest wait between two attempts, whatever Retry-After asks for. */
  maxRetryDelayMs?: number;
  /** Names the service in error messages ("OpenAI", "judge gpt-4o-mini", "chat endpoint"). */
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

type Method = 'GET' | 'POST' | 'DELETE';

const retryableStatuses = new Set([408, 409, 429]);

/**
 * The one client for OpenAI-compatible HTTP APIs (OpenAI, Ollama, vLLM, llama.cpp server, LM
 * Studio): bearer auth, a timeout per attempt, retries with exponential backoff and jitter that
 * honour Retry-After, OpenAI error bodies turned into `OpenAIApiError`s, JSON bodies parsed with
 * the caller's zod schema, and server-sent events for streamed chat completions. Plain fetch rather
 * than the `openai` package, so waits are injectable and every body is validated at the edge.
 */
export class OpenAIHttpClient {
  private readonly options: OpenAIHttpClientOptions;
  private readonly root: string;
  private readonly service: string;
  private readonly logger: Logger;

  constructor(options: OpenAIHttpClientOptions) {
    this.options = options;
    this.root = options.baseUrl.replace(/\/+$/, '');
    this.service = options.service ?? 'OpenAI';
    this.logger = options.logger ?? silentLogger;
  }

  /** The full URL of an API path, e.g. `/embeddings`. */
  url(path: string): string {
    return `${this.root}${path}`;
  }

  /** Sends a request and returns its JSON body parsed with `schema`. */
  async json<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    options: RequestOptions = {},
  ): Promise<z.output<S>> {
    const text = await this.withRetries(method, path, options.signal, () =>
      this.attempt(method, path, options, 'application/json', true).then((opened) => opened.text),
    );
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new OpenAIApiError(
        `${this.service} ${method} ${path} returned invalid JSON: ${text.slice(0, 200)}`,
        { kind: 'invalid-body', status: 200, retryable: false, cause: error },
      );
    }
    return this.parse(schema, body, `${method} ${path} returned an unexpected body`);
  }

  /** Sends a GET and returns the raw body (file contents). */
  text(path: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    return this.withRetries('GET', path, options.signal, () =>
      this.attempt('GET', path, options, 'application/json', true).then((opened) => opened.text),
    );
  }

  /**
   * POSTs `options.json` and yields each server-sent event parsed with `schema`, until `[DONE]` or
   * the end of the body. Only opening the stream is retried: once events have been handed out, a
   * failure is thrown, since a caller cannot take them back. An error event ends the stream with
   * an `OpenAIApiError`.
   */
  async *events<S extends z.ZodType>(
    path: string,
    schema: S,
    options: RequestOptions = {},
  ): AsyncGenerator<z.output<S>> {
    const { response, deadline } = await this.withRetries('POST', path, options.signal, () =>
      this.attempt('POST', path, options, 'text/event-stream', false),
    );
    try {
      if (!response.body) return;
      for await (const data of readSseData(response.body, () => deadline.restart())) {
        if (data === '[DONE]') return;
        let event: unknown;
        try {
          event = JSON.parse(data);
        } catch (error) {
          throw new OpenAIApiError(
            `${this.service} POST ${path} sent an event that is not JSON: ${data.slice(0, 200)}`,
            { kind: 'invalid-body', status: response.status, retryable: false, cause: error },
          );
        }
        if (typeof event === 'object' && event !== null && 'error' in event) {
          const { message, code } = describeOpenAIError(data);
          throw new OpenAIApiError(
            `${this.service} POST ${path} failed mid-stream${code ? ` ${code}` : ''}: ${message}`,
            { kind: 'stream-error', status: response.status, code, serverMessage: message, retryable: false },
          );
        }
        const parsed = this.parse(schema, event, `POST ${path} sent an unexpected event`);
        // Time the consumer spends on an event is not the server's silence.
        deadline.stop();
        yield parsed;
        deadline.restart();
      }
    } catch (error) {
      if (error instanceof OpenAIApiError) throw error;
      throw this.transportFailure(error, path, deadline, options.signal);
    } finally {
      deadline.stop();
    }
  }

  private parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw new OpenAIApiError(`${this.service} ${what}: ${problems.join('; ')}`, {
      kind: 'invalid-body',
      status: 200,
      retryable: false,
    });
  }

  private async withRetries<T>(
    method: Method,
    path: string,
    signal: AbortSignal | undefined,
    attempt: () => Promise<T>,
  ): Promise<T> {
    const retries = this.options.retries ?? 2;
    const wait =
      this.options.sleep ??
      ((milliseconds, waitSignal) => sleepFor(milliseconds, undefined, { signal: waitSignal }));
    for (let number = 0; ; number++) {
      try {
        return await attempt();
      } catch (error) {
        const retryable = error instanceof OpenAIApiError && error.retryable;
        if (!retryable || number >= retries || signal?.aborted) throw error;
        const delay = this.retryDelay(number, error);
        this.logger.warn(`${this.service} request failed, retrying`, {
          request: `${method} ${path}`,
          attempt: number + 1,
          delayMs: delay,
          error: error.message,
        });
        try {
          await wait(delay, signal);
        } catch (error) {
          // Aborted while waiting: say so the same way as an abort during a request.
          if (signal?.aborted) throw this.aborted(error, path, signal);
          throw error;
        }
      }
    }
  }

  /**
   * One attempt. With `readBody` the whole body is read inside the deadline; without, a successful
   * response is handed back with its deadline still running, for the caller to restart per chunk.
   */
  private async attempt(
    method: Method,
    path: string,
    options: RequestOptions,
    accept: string,
    readBody: boolean,
  ): Promise<{ response: Response; text: string; deadline: RequestDeadline }> {
    const headers: Record<string, string> = { accept };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let body: string | FormData | undefined;
    if (options.form) body = options.form;
    else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const deadline = new RequestDeadline(this.options.timeoutMs, options.signal);
    let response: Response;
    let text = '';
    try {
      response = await (this.options.fetch ?? fetch)(this.url(path), {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: deadline.signal,
      });
      if (readBody || !response.ok) text = await response.text();
    } catch (error) {
      deadline.stop();
      throw this.transportFailure(error, path, deadline, options.signal);
    }
    if (readBody || !response.ok) deadline.stop();
    if (response.ok) return { response, text, deadline };

    const { message, code } = describeOpenAIError(text);
    const retryable = retryableStatuses.has(response.status) || response.status >= 500;
    const hint = response.status === 401 ? ` (check the API key configured for ${this.service})` : '';
    throw new OpenAIApiError(
      `${this.service} ${method} ${path} answered ${response.status}${code ? ` ${code}` : ''}: ${message}${hint}`,
      {
        kind: 'answered',
        status: response.status,
        code,
        serverMessage: message,
        retryable,
        retryAfterMs: retryAfterFromHeaders(response.headers),
      },
    );
  }

  /** No answer: timed out, aborted by the caller, or the server could not be reached. */
  private transportFailure(
    error: unknown,
    path: string,
    deadline: RequestDeadline,
    signal: AbortSignal | undefined,
  ): OpenAIApiError {
    const where = `${this.service} ${this.url(path)}`;
    if (signal?.aborted) return this.aborted(error, path, signal);
    if (deadline.expired || isTimeout(error)) {
      return new OpenAIApiError(`${where} timed out after ${this.options.timeoutMs} ms`, {
        kind: 'timeout',
        status: null,
        retryable: true,
        cause: error,
      });
    }
    return new OpenAIApiError(`${where} unreachable: ${describeFetchFailure(error)}`, {
      kind: 'unreachable',
      status: null,
      retryable: true,
      cause: error,
    });
  }

  private aborted(error: unknown, path: string, signal: AbortSignal): OpenAIApiError {
    const reason = signal.reason === undefined ? '' : `: ${errorMessage(signal.reason)}`;
    return new OpenAIApiError(`${this.service} ${this.url(path)} aborted${reason}`, {
      kind: 'aborted',
      status: null,
      retryable: false,
      cause: error,
    });
  }

  private retryDelay(attempt: number, error: OpenAIApiError): number {
    const cap = this.options.maxRetryDelayMs ?? 30_000;
    if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, cap);
    const base = (this.options.backoffMs ?? 500) * 2 ** attempt;
    // Jitter keeps many workers that failed together from retrying together.
    return Math.min(Math.round(base * (0.75 + Math.random() * 0.5)), cap);
  }
}
