import { z } from 'zod';

/** OpenAI's error envelope; Ollama uses it too, while vLLM and some proxies put the message at the top level. */
const OpenAIErrorBody = z.union([
  z.object({
    error: z.object({
      message: z.string(),
      type: z.string().nullish(),
      code: z.union([z.string(), z.number()]).nullish().catch(null),
      param: z.string().nullish().catch(null),
    }),
  }),
  z.object({ error: z.string() }),
  z.object({ message: z.string() }),
]);

/** The message (and code, when there is one) of an OpenAI-compatible error response body. */
export function describeOpenAIError(text: string): { message: string; code: string | null } {
  try {
    const parsed = OpenAIErrorBody.safeParse(JSON.parse(text));
    if (parsed.success) {
      const { data } = parsed;
      if ('message' in data) return { message: data.message, code: null };
      if (typeof data.error === 'string') return { message: data.error, code: null };
      const code = data.error.code ?? data.error.type ?? null;
      return { message: data.error.message, code: code === null ? null : String(code) };
    }
  } catch {
    // Not JSON (a proxy's HTML page): show its start.
  }
  return { message: text.slice(0, 300) || '(empty body)', code: null };
}
