import { z } from 'zod';
import { errorMessage, ValidationError } from '../../core/errors.ts';
import type { BatchResult, ParsedJobPayload } from '../../core/jobs/job-contracts.ts';
import { collectStream } from '../../core/models/collect-stream.ts';
import type { JobContext } from '../../core/ports/job-queue.ts';
import type { InferenceDependencies } from '../inference-dependencies.ts';
import { prepareAnswer } from '../serving/prepare-answer.ts';

const Message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() }))]),
});
/** One line of a batch input file. */
export const BatchLine = z.union([
  z.object({ id: z.string().optional(), prompt: z.string().min(1) }),
  z.object({ id: z.string().optional(), messages: z.array(Message).min(1) }),
]);

/**
 * Batch inference: every line of the input JSONL goes through exactly the pipeline a chat request
 * does (retrieval on the serving feature set, the serving version's generator), and the results
 * JSONL records each answer with its sources and the model version that wrote it. A bad line is
 * recorded as an error on its own line; it does not fail the batch.
 */
export async function runBatch(
  payload: ParsedJobPayload<'inference.batch'>,
  context: Pick<JobContext, 'progress' | 'log' | 'signal'>,
  dependencies: InferenceDependencies,
): Promise<BatchResult> {
  const started = performance.now();
  const text = new TextDecoder().decode(await dependencies.artifacts.get(payload.inputKey));
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  if (lines.length === 0) throw new ValidationError('the batch input has no lines');
  const results: string[] = [];
  const versions = new Set<string>();
  let succeeded = 0;
  for (const [index, line] of lines.entries()) {
    if (context.signal.aborted) throw context.signal.reason;
    let id = `line-${index + 1}`;
    try {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new ValidationError(`line ${index + 1}: not valid JSON`);
      }
      const parsed = BatchLine.safeParse(json);
      if (!parsed.success)
        throw new ValidationError(`line ${index + 1}: expected {"prompt"} or {"messages"}`);
      id = parsed.data.id ?? id;
      const messages =
        'prompt' in parsed.data
          ? [{ role: 'user' as const, content: parsed.data.prompt }]
          : parsed.data.messages;
      const prepared = await prepareAnswer({ model: payload.model, messages }, dependencies);
      const { text: answer, finish } = await collectStream(
        prepared.generator.stream({
          messages: prepared.messages,
          grounding: prepared.grounding,
          maxTokens: payload.maxTokens,
          temperature: payload.temperature,
          signal: context.signal,
        }),
      );
      versions.add(prepared.modelLabel);
      succeeded += 1;
      results.push(
        JSON.stringify({
          id,
          answer,
          finish_reason: finish.finishReason,
          sources: prepared.sources,
          model_version: prepared.modelLabel,
          feature_set: prepared.serving.featureSet.id,
          usage: { prompt_tokens: finish.promptTokens, completion_tokens: finish.completionTokens },
        }),
      );
    } catch (error) {
      if (context.signal.aborted) throw error;
      results.push(JSON.stringify({ id, error: errorMessage(error) }));
    }
    await context.progress((index + 1) / lines.length, `${index + 1}/${lines.length} prompts`);
  }
  await dependencies.artifacts.put(payload.outputKey, `${results.join('\n')}\n`);
  await context.log(`batch: ${succeeded}/${lines.length} answered → ${payload.outputKey}`);
  return {
    outputKey: payload.outputKey,
    total: lines.length,
    succeeded,
    failed: lines.length - succeeded,
    modelVersions: [...versions],
    durationMs: performance.now() - started,
  };
}
