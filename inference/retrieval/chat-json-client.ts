import type { z } from 'zod';
import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';
import { errorMessage, ServiceError } from '../../core/errors.ts';
import { createChatCompletion } from '../../core/http/create-chat-completion.ts';
import { OpenAIHttpClient } from '../../core/http/openai-http-client.ts';

export type ChatJsonMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** The endpoint settings this client uses; a `ChatEndpointConfig` from the configuration fits. */
export type ChatJsonEndpoint = Pick<
  ChatEndpointConfig,
  'baseUrl' | 'model' | 'apiKey' | 'temperature' | 'timeoutMs' | 'retries'
>;

/**
 * Asks an OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp server) for a JSON
 * object and validates it with a zod schema. Retries, backoff and error bodies are the shared
 * OpenAIHttpClient's: 408, 409, 429 and 5xx are retried, anything else is final.
 */
export class ChatJsonClient {
  private readonly client: OpenAIHttpClient;

  constructor(
    private readonly endpoint: ChatJsonEndpoint,
    options: { backoffMs?: number; fetch?: typeof fetch } = {},
  ) {
    this.client = new OpenAIHttpClient({
      baseUrl: endpoint.baseUrl,
      apiKey: endpoint.apiKey,
      timeoutMs: endpoint.timeoutMs,
      retries: endpoint.retries,
      service: 'chat endpoint',
      backoffMs: options.backoffMs ?? 250,
      // A question is waiting on this call: a long Retry-After is better met by the rule-based fallback.
      maxRetryDelayMs: 5_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  get model(): string {
    return this.endpoint.model;
  }

  async complete<T>(messages: readonly ChatJsonMessage[], schema: z.ZodType<T>): Promise<T> {
    const { content } = await createChatCompletion(this.client, {
      model: this.endpoint.model,
      messages: [...messages],
      temperature: this.endpoint.temperature,
      json: true,
    });
    let json: unknown;
    try {
      json = JSON.parse(stripCodeFence(content));
    } catch (error) {
      throw new ServiceError(`${this.endpoint.model} did not answer with JSON: ${errorMessage(error)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`,
      );
      throw new ServiceError(
        `${this.endpoint.model} answered JSON of the wrong shape: ${problems.join('; ')}`,
      );
    }
    return parsed.data;
  }
}

/** Local servers that ignore `response_format` often wrap the JSON in a markdown fence. */
function stripCodeFence(content: string): string {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/i.exec(content);
  return fenced?.[1] ?? content;
}
