import { BullMqJobQueue } from '../../core/adapters/queue/bullmq-job-queue.ts';
import { InProcessJobQueue } from '../../core/adapters/queue/in-process-job-queue.ts';
import type { TwinConfig } from '../../core/config/config-schema.ts';
import type { Logger } from '../../core/logger.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';

/**
 * The job queue the configuration selects; job records always go to the metadata store. A BullMQ
 * queue only enqueues here: jobs run in `twin worker <queue>` processes (see worker-command.ts).
 */
export function openJobQueue(config: TwinConfig, metadata: MetadataStore, logger: Logger): JobQueue {
  const selected = config.stores.queue;
  switch (selected.driver) {
    case 'in-process':
      return new InProcessJobQueue(metadata.jobs, { concurrency: selected.concurrency, logger });
    case 'bullmq':
      return new BullMqJobQueue(metadata.jobs, {
        url: selected.url,
        prefix: selected.prefix,
        attempts: selected.attempts,
        backoffMs: selected.backoffMs,
        stalledIntervalMs: selected.stalledIntervalMs,
        lockDurationMs: selected.lockDurationMs,
        maxStalledCount: selected.maxStalledCount,
        logger,
      });
  }
}
