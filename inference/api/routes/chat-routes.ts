import { randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { collectStream } from '../../../core/models/collect-stream.ts';
import type { GenerationSummary } from '../../../core/ports/generator.ts';
import type { InferenceDependencies } from '../../inference-dependencies.ts';
import { type PreparedAnswer, prepareAnswer } from '../../serving/prepare-answer.ts';
import type { ApiEnv } from '../api-env.ts';
import { recordRequest } from '../record-request.ts';
import { requireKey } from '../require-key.ts';
import { ErrorResponse } from './error-response.ts';

const Content = z.union([
  z.string().max(32_000),
  z.array(z.object({ type: z.literal('text'), text: z.string().max(32_000) })).min(1),
]);
const ChatRequest = z.object({
  model: z.string().min(1),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'developer', 'user', 'assistant']),
        content: Content,
        name: z.string().optional(),
      }),
    )
    .min(1)
    .max(100),
  stream: z.boolean().default(false),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  temperature: z.number().min(0).max(2).default(0.7),
  top_p: z.number().gt(0).max(1).optional(),
  max_tokens: z.number().int().min(1).max(4096).optional(),
  max_completion_tokens: z.number().int().min(1).max(4096).optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).optional(),
  seed: z.number().int().optional(),
  user: z.string().max(256).optional(),
});

/**
 * OpenAI-compatible chat completions over retrieval + generation. The twin answers as the author
 * from the serving version's feature set; the response carries the sources it was given and the
 * model version that answered. `stream: true` sends SSE chunks and `[DONE]`, as OpenAI does.
 */
export function chatRoutes(app: OpenAPIHono<ApiEnv>, dependencies: InferenceDependencies): void {
  const { metrics, template } = dependencies;
  app.use(
    '/v1/chat/completions',
    requireKey(dependencies.config.server.apiKeys, { always: false, role: 'api' }),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/chat/completions',
      summary: 'OpenAI-compatible chat with the twin (retrieval + generation), plain or streaming',
      request: { body: { content: { 'application/json': { schema: ChatRequest } }, required: true } },
      responses: {
        200: {
          description: 'a chat.completion, or an SSE stream of chat.completion.chunk',
          content: {
            'application/json': { schema: z.any() },
            'text/event-stream': { schema: z.string() },
          },
        },
        400: { description: 'bad request', content: { 'application/json': { schema: ErrorResponse } } },
        404: { description: 'unknown model', content: { 'application/json': { schema: ErrorResponse } } },
      },
    }),
    async (context) => {
      const body = context.req.valid('json');
      const started = performance.now();
      const route = '/v1/chat/completions';
      let prepared: PreparedAnswer;
      try {
        prepared = await prepareAnswer(body, dependencies);
      } catch (error) {
        await recordRequest(dependencies, {
          route,
          question: lastUserText(body),
          started,
          model: body.model,
          error,
        });
        throw error;
      }
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? 256;
      const stop = body.stop === undefined ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop];
      const request = {
        messages: prepared.messages,
        grounding: prepared.grounding,
        maxTokens,
        temperature: body.temperature,
        ...(stop ? { stop } : {}),
        ...(body.top_p !== undefined ? { topP: body.top_p } : {}),
        ...(body.seed !== undefined ? { seed: body.seed } : {}),
        signal: context.req.raw.signal,
      };
      const twin = {
        model_version: prepared.modelLabel,
        feature_set: prepared.serving.featureSet.id,
        generator: prepared.generatorId,
        prompt_template: template.version,
        // Passages retrieval found; `sources` lists those that fit the generator's prompt budget, so
        // a client can tell "nothing relevant" from "found, but this model's context is too small".
        retrieved: prepared.retrieved.length,
        timings: prepared.timings,
      };
      const record = async (summary: GenerationSummary, firstTokenMs: number | null) => {
        await recordRequest(dependencies, {
          route,
          question: prepared.question,
          started,
          model: prepared.modelLabel,
          featureSetId: prepared.serving.featureSet.id,
          filters: prepared.filters,
          retrieved: prepared.retrieved,
          timings: prepared.timings,
          summary,
        });
        const labels = { model: prepared.modelLabel };
        metrics.increment(
          'twin_generated_tokens_total',
          'Completion tokens generated',
          labels,
          summary.completionTokens,
        );
        metrics.increment(
          'twin_prompt_tokens_total',
          'Prompt tokens sent to generators',
          labels,
          summary.promptTokens,
        );
        if (firstTokenMs !== null)
          metrics.observe(
            'twin_time_to_first_token_seconds',
            'Time to first streamed token',
            labels,
            firstTokenMs / 1000,
          );
        metrics.observe(
          'twin_generation_seconds',
          'Retrieval + generation time',
          labels,
          (performance.now() - started) / 1000,
        );
      };

      if (!body.stream) {
        const { text, finish } = await collectStream(prepared.generator.stream(request));
        await record(finish, null);
        return context.json(
          {
            id,
            object: 'chat.completion',
            created,
            model: prepared.modelLabel,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: text },
                finish_reason: finish.finishReason === 'abort' ? 'stop' : finish.finishReason,
                logprobs: null,
              },
            ],
            usage: usage(finish),
            sources: prepared.sources,
            twin,
          },
          200,
        );
      }

      // An SSE stream is a plain Response: the route declares text/event-stream, which allows it.
      return streamSSE(context, async (sse) => {
        const chunk = (
          delta: Record<string, unknown>,
          finishReason: string | null,
          extra: Record<string, unknown> = {},
        ) =>
          sse.writeSSE({
            data: JSON.stringify({
              id,
              object: 'chat.completion.chunk',
              created,
              model: prepared.modelLabel,
              choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
              ...extra,
            }),
          });
        // Sources and the serving version go first, so a UI can show them while the answer streams.
        await chunk({ role: 'assistant', content: '' }, null, { sources: prepared.sources, twin });
        const stream = prepared.generator.stream(request);
        let firstTokenMs: number | null = null;
        let step = await stream.next();
        while (!step.done) {
          if (sse.aborted) {
            await stream.return({ finishReason: 'abort', promptTokens: 0, completionTokens: 0 });
            return;
          }
          firstTokenMs ??= performance.now() - started;
          await chunk({ content: step.value }, null);
          step = await stream.next();
        }
        await record(step.value, firstTokenMs);
        await chunk({}, step.value.finishReason === 'abort' ? 'stop' : step.value.finishReason);
        if (body.stream_options?.include_usage) {
          await sse.writeSSE({
            data: JSON.stringify({
              id,
              object: 'chat.completion.chunk',
              created,
              model: prepared.modelLabel,
              choices: [],
              usage: usage(step.value),
            }),
          });
        }
        await sse.writeSSE({ data: '[DONE]' });
      });
    },
  );
}

function usage(summary: GenerationSummary) {
  return {
    prompt_tokens: summary.promptTokens,
    completion_tokens: summary.completionTokens,
    total_tokens: summary.promptTokens + summary.completionTokens,
  };
}

/** The last user message's text, for logging a request that failed before it was prepared. */
function lastUserText(body: { messages: { role: string; content: string | { text: string }[] }[] }): string {
  const last = [...body.messages].reverse().find((message) => message.role === 'user');
  if (!last) return '';
  return typeof last.content === 'string' ? last.content : last.content.map((part) => part.text).join('\n');
}
