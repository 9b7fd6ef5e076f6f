import type { InferenceDependencies } from '../inference-dependencies.ts';
import { runBatch } from './run-batch.ts';

/**
 * Registers the inference pipeline's jobs (batch inference) on its queue; they run wherever that
 * queue's jobs run (in this process on the embedded queue, in `twin worker inference` on BullMQ).
 */
export function registerInferenceJobs(dependencies: InferenceDependencies): void {
  dependencies.queue.register('inference.batch', (payload, context) =>
    runBatch(payload, context, dependencies),
  );
}
