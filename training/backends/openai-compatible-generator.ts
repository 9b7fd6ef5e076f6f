import { ValidationError } from '../../core/errors.ts';
import { createChatCompletion } from './chat-completion.ts';
import { OpenAIRestClient } from './openai-rest-client.ts';

/** Where a model is served: OpenAI (a fine-tuned model id), Ollama, vLLM, llama.cpp server, LM Studio. */
export type ChatEndpoint = { baseUrl: string; model: string; apiKey: string | null; timeoutMs: number };

export type GenerateOptions = {
  maxTokens: number;
  temperature: number;
  /** Ask with the prompt the model was fine-tuned with (`twinSystemPrompt`), so it answers as trained. */
  systemPrompt?: string;
  /** Extra attempts on 429/5xx and connection errors; 2 unless given. */
  retries?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
};

/**
 * The answer of a model behind an OpenAI-compatible chat endpoint to one instruction; what
 * evaluation plugs in as `generate` for models registered with an `openai-compatible` artifact.
 */
export async function generateWithChatEndpoint(
  endpoint: ChatEndpoint,
  instruction: string,
  options: GenerateOptions,
): Promise<string> {
  if (!instruction.trim()) throw new ValidationError('cannot generate an answer to an empty instruction');
  const client = new OpenAIRestClient({
    baseUrl: endpoint.baseUrl,
    apiKey: endpoint.apiKey,
    timeoutMs: endpoint.timeoutMs,
    retries: options.retries ?? 2,
    service: `model ${endpoint.model}`,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const completion = await createChatCompletion(
    client,
    {
      model: endpoint.model,
      messages: [
        ...(options.systemPrompt ? [{ role: 'system' as const, content: options.systemPrompt }] : []),
        { role: 'user', content: instruction },
      ],
      temperature: options.temperature,
      maxTokens: options.maxTokens,
    },
    options.signal,
  );
  return completion.content;
}
