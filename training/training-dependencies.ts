import type { TwinConfig } from '../core/config/config-schema.ts';
import type { Logger } from '../core/logger.ts';
import type { ArtifactStore } from '../core/ports/artifact-store.ts';
import type { FineTuneBackend } from '../core/ports/fine-tune-backend.ts';
import type { JobQueue } from '../core/ports/job-queue.ts';
import type { MetadataStore } from '../core/ports/metadata-store.ts';

/** What the training pipeline needs; the CLI (the composition root) builds it from configuration. */
export type TrainingDependencies = {
  config: TwinConfig;
  metadata: MetadataStore;
  artifacts: ArtifactStore;
  queue: JobQueue;
  logger: Logger;
  /** Fine-tune backends by name (`local`, `openai`, `command`). */
  backends: Record<string, FineTuneBackend>;
};
