import { z } from 'zod';
import { ServiceError } from '../errors.ts';
import type { OpenAIHttpClient } from './openai-http-client.ts';

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export type ChatCompletionRequest = {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** Ask for a JSON object (`response_format: {type: "json_object"}`). */
  json?: boolean;
};

export type ChatCompletion = {
  content: string;
  /** `stop`, `length` (cut at maxTokens)…; null when the server does not say. */
  finishReason: string | null;
  usage: { promptTokens: number; completionTokens: number } | null;
};

/** The fields we use of POST /chat/completions; OpenAI, Ollama, vLLM and llama.cpp all answer this shape. */
const ChatCompletionResponse = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullable(),
          refusal: z.string().nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});

/** One chat completion, first choice only. A refusal or a missing message is an error. */
export async function createChatCompletion(
  client: OpenAIHttpClient,
  request: ChatCompletionRequest,
  signal?: AbortSignal,
): Promise<ChatCompletion> {
  const body = {
    model: request.model,
    messages: request.messages,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    // max_tokens rather than max_completion_tokens: every compatible server still reads it.
    ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    ...(request.json ? { response_format: { type: 'json_object' } } : {}),
  };
  const response = await client.json('POST', '/chat/completions', ChatCompletionResponse, {
    json: body,
    ...(signal ? { signal } : {}),
  });
  const choice = response.choices[0] as (typeof response.choices)[number];
  if (choice.message.content === null) {
    throw new ServiceError(
      choice.message.refusal
        ? `model ${request.model} refused: ${choice.message.refusal}`
        : `model ${request.model} returned no message content (finish_reason ${choice.finish_reason ?? 'unknown'})`,
    );
  }
  return {
    content: choice.message.content,
    finishReason: choice.finish_reason ?? null,
    usage: response.usage
      ? { promptTokens: response.usage.prompt_tokens, completionTokens: response.usage.completion_tokens }
      : null,
  };
}
