import { z } from 'zod';
import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';
import { errorMessage, ServiceError } from '../../core/errors.ts';

export type ChatJsonMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** The endpoint settings this client uses; a `ChatEndpointConfig` from the configuration fits. */
export type ChatJsonEndpoint = Pick<
  ChatEndpointConfig,
  'baseUrl' | 'model' | 'apiKey' | 'temperature' | 'timeoutMs' | 'retries'
>;

/** The few fields of an OpenAI chat-completions response we read. */
const ChatCompletion = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
});

const OpenAIErrorBody = z.object({ error: z.object({ message: z.string() }) });

/**
 * Asks an OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp server) for a JSON
 * object and validates it with a zod schema. Plain fetch: the retrieval stage needs one short call
 * and no streaming. 429 and 5xx are retried with exponential backoff; anything else is final.
 */
export class ChatJsonClient {
  constructor(
    private readonly endpoint: ChatJsonEndpoint,
    private readonly options: { backoffMs?: number; fetch?: typeof fetch } = {},
  ) {}

  get model(): string {
    return this.endpoint.model;
  }

  async complete<T>(messages: readonly ChatJsonMessage[], schema: z.ZodType<T>): Promise<T> {
    const content = await this.request(messages);
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

  private async request(messages: readonly ChatJsonMessage[]): Promise<string> {
    const url = `${this.endpoint.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const body = JSON.stringify({
      model: this.endpoint.model,
      messages,
      temperature: this.endpoint.temperature,
      response_format: { type: 'json_object' },
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.endpoint.apiKey) headers.authorization = `Bearer ${this.endpoint.apiKey}`;
    const fetchImplementation = this.options.fetch ?? fetch;

    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetchImplementation(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.endpoint.timeoutMs),
        });
      } catch (error) {
        if (attempt < this.endpoint.retries) {
          await this.backoff(attempt);
          continue;
        }
        throw new ServiceError(`chat endpoint ${url} unreachable: ${errorMessage(error)}`, {
          cause: error,
          retryable: true,
        });
      }
      const text = await response.text();
      if (response.ok) {
        const parsed = ChatCompletion.safeParse(safeJson(text));
        const content = parsed.success ? parsed.data.choices[0]?.message.content : undefined;
        if (!content) throw new ServiceError(`chat endpoint ${url} returned no message content`);
        return content;
      }
      const retryable = response.status === 429 || response.status >= 500;
      if (retryable && attempt < this.endpoint.retries) {
        await this.backoff(attempt);
        continue;
      }
      const error = OpenAIErrorBody.safeParse(safeJson(text));
      const detail = error.success ? error.data.error.message : text.slice(0, 200);
      throw new ServiceError(`chat endpoint ${url} answered ${response.status}: ${detail}`, { retryable });
    }
  }

  private backoff(attempt: number): Promise<void> {
    const delay = (this.options.backoffMs ?? 250) * 2 ** attempt;
    return new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Local servers that ignore `response_format` often wrap the JSON in a markdown fence. */
function stripCodeFence(content: string): string {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/i.exec(content);
  return fenced?.[1] ?? content;
}
