import { runFineTune } from '../fine-tune/run-fine-tune.ts';
import type { TrainingDependencies } from '../training-dependencies.ts';

/** Registers the training pipeline's jobs on its queue. */
export function registerTrainingJobs(dependencies: TrainingDependencies): void {
  dependencies.queue.register('training.finetune', (payload, context) =>
    runFineTune(payload, context, dependencies),
  );
}
