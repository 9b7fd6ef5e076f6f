import { z } from 'zod';
import type { ReceivedRequest, RecordedResponse, ReplayRoute } from './replay-server.ts';

/** The documented body of POST /chat/completions, as far as our clients send it. */
export const ChatCompletionBody = z
  .object({
    model: z.string().min(1),
    messages: z
      .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }).strict())
      .min(1),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    response_format: z.object({ type: z.enum(['json_object', 'text']) }).optional(),
  })
  .strict();
export type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

export function checkChatCompletion(request: ReceivedRequest, apiKey: string | null): string[] {
  const problems: string[] = [];
  const authorization = request.headers.authorization;
  if (apiKey && authorization !== `Bearer ${apiKey}`) problems.push('no bearer API key');
  if (!apiKey && authorization) problems.push('sent an Authorization header without a key');
  const parsed = ChatCompletionBody.safeParse(request.json);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((issue) => `body ${issue.path.join('.')}: ${issue.message}`));
  }
  return problems;
}

/** POST /v1/chat/completions, checked, answered in order or from the request. */
export function chatRoute(
  responses: RecordedResponse[] | ((body: ChatCompletionBody) => RecordedResponse),
  apiKey: string | null,
): ReplayRoute {
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    check: (request) => checkChatCompletion(request, apiKey),
    responses:
      typeof responses === 'function'
        ? (request) => responses(ChatCompletionBody.parse(request.json))
        : responses,
  };
}
