import type { ApiDependencies } from '../api/api-dependencies.ts';
import type { MetricsRegistry } from '../api/metrics-registry.ts';
import type { ChatDependencies } from '../api/prepare-answer.ts';
import { runBatch } from './run-batch.ts';

/** Registers the inference pipeline's jobs (batch inference) on its queue. */
export function registerInferenceJobs(
  dependencies: ApiDependencies,
  chat: ChatDependencies,
  metrics: MetricsRegistry,
): void {
  dependencies.queue.register('inference.batch', (payload, context) =>
    runBatch(payload, context, dependencies, chat, metrics),
  );
}
