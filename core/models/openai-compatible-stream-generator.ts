import { AIMessage, type BaseMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { errorMessage, ServiceError } from '../errors.ts';
import { countTokens } from '../features/count-tokens.ts';
import type { ChatMessage, FinishReason, GenerationRequest, GenerationSummary } from '../ports/generator.ts';
import type { GeneratingModel, PromptBudget } from '../ports/runnable-model.ts';
import { approximatePromptBudget } from './approximate-prompt-budget.ts';

export type OpenAICompatibleStreamGeneratorOptions = {
  /** API root including the version: https://api.openai.com/v1, http://localhost:11434/v1… */
  baseUrl: string;
  model: string;
  /** null for local servers that need none. */
  apiKey: string | null;
  timeoutMs?: number;
  /** Extra attempts on 429, 5xx and connection errors (LangChain's own retry). */
  retries?: number;
  /** Prompt budget in estimated tokens; the default fits any current chat model's window. */
  maxPromptTokens?: number;
};

/** The fields we read of an error thrown by the OpenAI client (APIError) or by fetch. */
const ClientError = z.object({
  status: z.number().int().optional(),
  error: z.object({ message: z.string().optional(), code: z.string().nullish() }).nullish(),
  message: z.string().optional(),
  name: z.string().optional(),
  code: z.string().optional(),
  cause: z.unknown().optional(),
});

const Usage = z.object({ input_tokens: z.number(), output_tokens: z.number() });

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
 * llama.cpp server, LM Studio) through LangChain's ChatOpenAI, streaming tokens as they arrive.
 * Usage comes from the stream itself (`stream_options.include_usage`); servers that ignore it get
 * an estimate.
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

  constructor(options: OpenAICompatibleStreamGeneratorOptions) {
    this.options = options;
    this.id = `openai-compatible:${options.model}@${hostOf(options.baseUrl)}`;
    this.promptBudget = approximatePromptBudget(options.maxPromptTokens ?? 6_000);
  }

  async *stream(request: GenerationRequest): AsyncGenerator<string, GenerationSummary> {
    const { signal } = request;
    // Temperature, top_p and max_tokens are fields of the model object in LangChain, not call
    // options, so each request gets its own (cheap) instance.
    const chat = new ChatOpenAI({
      model: this.options.model,
      // Local servers need no key, but the OpenAI client refuses to start without one; passing it
      // explicitly also keeps the client from reading OPENAI_API_KEY behind the config's back.
      apiKey: this.options.apiKey ?? 'no-key',
      temperature: request.temperature,
      maxTokens: request.maxTokens,
      ...(request.topP === undefined ? {} : { topP: request.topP }),
      // top_k is not an OpenAI parameter (OpenAI rejects it), so it is not sent.
      streaming: true,
      streamUsage: true,
      timeout: this.options.timeoutMs ?? 60_000,
      maxRetries: this.options.retries ?? 2,
      // /chat/completions is what every compatible server speaks (LangChain still picks the
      // Responses API by itself for the few OpenAI models that only have that one).
      useResponsesApi: false,
      configuration: { baseURL: this.options.baseUrl },
    });
    let text = '';
    let finishReason: FinishReason | undefined;
    let usage: z.infer<typeof Usage> | undefined;
    const summary = (reason: FinishReason): GenerationSummary => ({
      finishReason: reason,
      promptTokens: usage?.input_tokens ?? this.promptBudget.measure(request.messages),
      completionTokens: usage?.output_tokens ?? countTokens(text),
    });
    try {
      const stream = await chat.stream(request.messages.map(toLangChainMessage), {
        ...(signal ? { signal } : {}),
        ...(request.stop && request.stop.length > 0 ? { stop: request.stop } : {}),
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream) {
        const reason = chunk.response_metadata?.finish_reason;
        if (typeof reason === 'string') finishReason = finishReasons[reason] ?? 'stop';
        const parsedUsage = Usage.safeParse(chunk.usage_metadata);
        if (parsedUsage.success && parsedUsage.data.input_tokens + parsedUsage.data.output_tokens > 0)
          usage = parsedUsage.data;
        if (typeof chunk.content === 'string' && chunk.content.length > 0) {
          text += chunk.content;
          yield chunk.content;
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
    const parsed = ClientError.safeParse(error);
    const details = parsed.success ? parsed.data : {};
    const where = `model ${this.options.model} at ${this.options.baseUrl}`;
    const status = details.status;
    if (status !== undefined) {
      const message = details.error?.message ?? details.message ?? 'no message';
      const hint =
        status === 401 || status === 403
          ? this.options.apiKey
            ? ' (check the API key)'
            : ' (no API key is configured for this endpoint; for api.openai.com set OPENAI_API_KEY or training.backends.openai.apiKey)'
          : status === 404
            ? ' (is the model name right, and is it served there?)'
            : '';
      return new ServiceError(`${where} answered ${status}: ${message}${hint}`, {
        cause: error,
        retryable: status === 408 || status === 409 || status === 429 || status >= 500,
      });
    }
    if (details.name === 'TimeoutError') {
      return new ServiceError(`${where} did not answer within ${this.options.timeoutMs ?? 60_000} ms`, {
        cause: error,
        retryable: true,
      });
    }
    return new ServiceError(`${where} cannot be reached: ${errorMessage(error)} (is the server running?)`, {
      cause: error,
      retryable: true,
    });
  }
}

function toLangChainMessage(message: ChatMessage): BaseMessage {
  switch (message.role) {
    case 'system':
      return new SystemMessage(message.content);
    case 'user':
      return new HumanMessage(message.content);
    case 'assistant':
      return new AIMessage(message.content);
    default: {
      const unreachable: never = message.role;
      throw new Error(`unknown chat role ${String(unreachable)}`);
    }
  }
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
