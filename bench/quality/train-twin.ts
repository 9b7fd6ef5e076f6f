import { followToCompletion } from '../../cli/follow-to-completion.ts';
import type { Runtime } from '../../cli/runtime.ts';
import type { FineTuneResult } from '../../core/jobs/job-contracts.ts';
import { submitIdempotentJob } from '../../core/jobs/submit-job.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';

/**
 * Fine-tunes on `datasetId` as `twin train --backend BACKEND --set …` does (a fine-tune job on the
 * runtime's queue, registered by the training pipeline) and returns the version.
 */
export async function trainTwin(
  runtime: Runtime,
  datasetId: string,
  backend: 'local' | 'lora',
  hyperparameters: Record<string, unknown>,
): Promise<ModelVersion> {
  const { job } = await submitIdempotentJob(
    { queue: runtime.queue, jobs: runtime.metadata.jobs },
    'training.finetune',
    {
      datasetId,
      backend,
      modelName: runtime.config.training.modelName,
      baseModel: null,
      parentVersion: null,
      hyperparameters,
      requestedBy: 'bench',
    },
    { prefix: 'ft', ignore: ['requestedBy'] },
  );
  const record = await followToCompletion(job.id, runtime, { label: 'train', what: 'fine-tune' });
  const result = record.result as FineTuneResult;
  const version = await runtime.metadata.models.get(result.modelName, result.version);
  if (!version) throw new Error(`fine-tune ${job.id} registered no ${result.modelName}:${result.version}`);
  return version;
}
