import { InProcessJobQueue } from '../../core/adapters/queue/in-process-job-queue.ts';
import type { TwinConfig } from '../../core/config/config-schema.ts';
import { ConfigError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';

/** The job queue the configuration selects; job records always go to the metadata store. */
export function openJobQueue(config: TwinConfig, metadata: MetadataStore, logger: Logger): JobQueue {
  const selected = config.stores.queue;
  switch (selected.driver) {
    case 'in-process':
      return new InProcessJobQueue(metadata.jobs, { concurrency: selected.concurrency, logger });
    default:
      throw new ConfigError([`stores.queue.driver ${selected.driver} is not available yet`]);
  }
}
