import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../core/errors.ts';
import type { GenerationSummary } from '../../core/ports/generator.ts';
import type { InferenceDependencies } from '../inference-dependencies.ts';
import { statusOf } from './api-error.ts';

export type RequestOutcome = {
  route: string;
  question: string;
  started: number;
  model?: string | null;
  featureSetId?: string | null;
  filters?: Record<string, unknown>;
  retrieved?: { chunkId: string; documentId: string; score: number }[];
  timings?: Record<string, number>;
  summary?: GenerationSummary;
  error?: unknown;
};

/**
 * Writes the request log row `twin monitor` reads. Logging must never fail or slow a request
 * beyond the write itself: a failed write is only logged.
 */
export async function recordRequest(
  dependencies: InferenceDependencies,
  outcome: RequestOutcome,
): Promise<void> {
  try {
    await dependencies.metadata.requests.record({
      id: randomUUID(),
      at: new Date().toISOString(),
      route: outcome.route,
      status: outcome.error === undefined ? 200 : statusOf(outcome.error),
      model: outcome.model ?? null,
      featureSetId: outcome.featureSetId ?? null,
      question: outcome.question.slice(0, 4000),
      filters: outcome.filters ?? {},
      retrieved: outcome.retrieved ?? [],
      timings: outcome.timings ?? {},
      promptTokens: outcome.summary?.promptTokens ?? 0,
      completionTokens: outcome.summary?.completionTokens ?? 0,
      durationMs: performance.now() - outcome.started,
      error: outcome.error === undefined ? null : errorMessage(outcome.error),
    });
  } catch (error) {
    dependencies.logger.warn('could not record the request', { error: errorMessage(error) });
  }
}
