import { z } from 'zod';
import { errorMessage, ServiceError } from '../errors.ts';
import { countTokens } from '../features/count-tokens.ts';
import { describeFetchFailure } from '../http/describe-fetch-failure.ts';
import { OpenAIApiError } from '../http/openai-api-error.ts';
import { OpenAIHttpClient } from '../http/openai-http-client.ts';
import type { FinishReason, GenerationRequest, GenerationSummary } from '../ports/generator.ts';
import type { GeneratingModel, PromptBudget } from '../ports/runnable-model.ts';
import { approximatePromptBudget } from './approximate-prompt-budget.ts';

export type OpenAICompatibleStreamGeneratorOptions = {
  /** API root including the version: https://api.openai.com/v1, http://localhost:11434/v1… */
  baseUrl: string;
  model: string;
  /** null for local servers that need none. */
  apiKey: string | null;
  /** Until the answer starts, and then between two chunks of it. */
  timeoutMs?: number;
  /** Extra attempts to open the stream on 408/409/429, 5xx and connection errors. */
  retries?: number;
  /** Prompt budget in estimated tokens; the default fits any current chat model's window. */
  maxPromptTokens?: number;
  fetch?: typeof fetch;
};

/** The fields we read of a `chat.completion.chunk`; the last one carries only the usage. */
const ChatCompletionChunk = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});

const finishReasons: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  // Ended by the provider for another reason than length: nothing more will come.
  content_filter: 'stop',
  tool_calls: 'stop',
  function_call: 'stop',
};

/**
 * A model behind any OpenAI-compatible /chat/completions endpoint (OpenAI, Ollama, vLLM,
 * llama.cpp server, LM Studio), streaming tokens as they arrive through the shared
 * OpenAIHttpClient. Usage comes from the stream itself (`stream_options.include_usage`); servers
 * that ignore it get an estimate.
 */
export class OpenAICompatibleStreamGenerator implements GeneratingModel {
  readonly id: string;
  readonly promptBudget: PromptBudget;
  readonly capabilities = {
    score: false,
    scoreUnavailable:
      'an OpenAI-compatible endpoint returns log-probabilities only for the text it writes itself, not for a given answer',
    // A server answers several requests at once; a few in flight keep it busy without hitting rate limits.
    concurrency: 4,
  } as const;
  private readonly options: OpenAICompatibleStreamGeneratorOptions;
  private readonly client: OpenAIHttpClient;

  constructor(options: OpenAICompatibleStreamGeneratorOptions) {
    this.options = options;
    this.id = `openai-compatible:${options.model}@${hostOf(options.baseUrl)}`;
    this.promptBudget = approximatePromptBudget(options.maxPromptTokens ?? 6_000);
    this.client = new OpenAIHttpClient({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 60_000,
      retries: options.retries ?? 2,
      service: `model ${options.model}`,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async *stream(request: GenerationRequest): AsyncGenerator<string, GenerationSummary> {
    const { signal } = request;
    const body = {
      model: this.options.model,
      messages: request.messages.map(({ role, content }) => ({ role, content })),
      temperature: request.temperature,
      // max_tokens rather than max_completion_tokens: every compatible server still reads it.
      max_tokens: request.maxTokens,
      ...(request.topP === undefined ? {} : { top_p: request.topP }),
      // top_k is not an OpenAI parameter (OpenAI rejects it), so it is not sent.
      ...(request.stop && request.stop.length > 0 ? { stop: request.stop } : {}),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      stream: true,
      stream_options: { include_usage: true },
    };
    let text = '';
    let finishReason: FinishReason | undefined;
    let usage: { promptTokens: number; completionTokens: number } | undefined;
    const summary = (reason: FinishReason): GenerationSummary => ({
      finishReason: reason,
      promptTokens: usage?.promptTokens ?? this.promptBudget.measure(request.messages),
      completionTokens: usage?.completionTokens ?? countTokens(text),
    });
    try {
      const events = this.client.events('/chat/completions', ChatCompletionChunk, {
        json: body,
        ...(signal ? { signal } : {}),
      });
      for await (const chunk of events) {
        if (chunk.usage && chunk.usage.prompt_tokens + chunk.usage.completion_tokens > 0)
          usage = {
            promptTokens: chunk.usage.prompt_tokens,
            completionTokens: chunk.usage.completion_tokens,
          };
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finishReason = finishReasons[choice.finish_reason] ?? 'stop';
        const content = choice?.delta?.content;
        if (content) {
          text += content;
          yield content;
        }
      }
    } catch (error) {
      if (signal?.aborted) return summary('abort');
      throw this.describe(error);
    }
    if (signal?.aborted) return summary('abort');
    return summary(finishReason ?? 'stop');
  }

  async close(): Promise<void> {}

  /** A ServiceError that says which endpoint failed, how, and what usually fixes it. */
  private describe(error: unknown): ServiceError {
    const where = `model ${this.options.model} at ${this.options.baseUrl}`;
    if (!(error instanceof OpenAIApiError))
      return new ServiceError(`${where} failed: ${errorMessage(error)}`, { cause: error });
    const { status } = error;
    if (error.kind === 'answered' && status !== null) {
      const hint =
        status === 401 || status === 403
          ? this.options.apiKey
            ? ' (check the API key)'
            : ' (no API key is configured for this endpoint; for api.openai.com set OPENAI_API_KEY or training.backends.openai.apiKey)'
          : status === 404
            ? ' (is the model name right, and is it served there?)'
            : '';
      return new ServiceError(`${where} answered ${status}: ${error.serverMessage ?? 'no message'}${hint}`, {
        cause: error,
        retryable: error.retryable,
      });
    }
    if (error.kind === 'timeout') {
      return new ServiceError(`${where} did not answer within ${this.options.timeoutMs ?? 60_000} ms`, {
        cause: error,
        retryable: true,
      });
    }
    if (error.kind === 'unreachable') {
      return new ServiceError(
        `${where} cannot be reached (is the server running?): ${describeFetchFailure(error.cause)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
    return new ServiceError(`${where}: ${error.message}`, { cause: error, retryable: error.retryable });
  }
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
