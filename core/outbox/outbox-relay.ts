import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { OutboxRepository } from '../ports/outbox-repository.ts';
import type { JobRecord } from '../types/job-record.ts';
import { featureBuildJobId } from './feature-build-job-id.ts';

export type OutboxRelayOptions = {
  outbox: OutboxRepository;
  queue: JobQueue;
  logger?: Logger;
  /** Most documents in one feature build. */
  batchSize?: number;
  /** How long a claimed batch stays ours; a relay that died is taken over after this. */
  leaseMs?: number;
  /** Most batches in one pass, so a pass ends even while writers keep adding events. */
  maxBatches?: number;
  /** The clock; tests move it past a dead relay's lease. */
  now?: () => Date;
};

const defaults = { batchSize: 500, leaseMs: 5 * 60_000, maxBatches: 100 };

/**
 * One pass of the change-data-capture relay: claims pending `document.changed` events in batches
 * and enqueues one `feature.build` per batch, then marks the batch drained. At least once, never
 * twice: a relay that dies before enqueueing leaves the batch pending; one that dies after
 * enqueueing but before marking leaves a batch whose recorded job id the next relay enqueues
 * again, and the queue dedupes that id. Returns the jobs enqueued, in order.
 */
export async function drainOutbox(options: OutboxRelayOptions): Promise<JobRecord[]> {
  const { batchSize, leaseMs, maxBatches } = { ...defaults, ...definedOnly(options) };
  const enqueued: JobRecord[] = [];
  for (let count = 0; count < maxBatches; count += 1) {
    const batch = await options.outbox.claim({
      topic: 'document.changed',
      limit: batchSize,
      leaseMs,
      jobIdOf: featureBuildJobId,
      now: options.now?.(),
    });
    if (!batch) break;
    const documentIds = [...new Set(batch.events.map((event) => event.aggregateId))];
    let job: JobRecord;
    try {
      job = await options.queue.enqueue('feature.build', { documentIds }, { jobId: batch.jobId });
    } catch (error) {
      // Hand the batch back at once (still with its job id) rather than wait out the lease.
      await options.outbox.release(batch).catch(() => {});
      throw error;
    }
    await options.outbox.markDrained(batch, options.now?.());
    options.logger?.debug('outbox drained', { jobId: job.id, documents: documentIds.length });
    enqueued.push(job);
  }
  return enqueued;
}

export type OutboxRelay = {
  /** Stops polling and waits for the pass in progress. */
  stop(): Promise<void>;
};

/**
 * Drains the outbox every `intervalMs` until stopped (what a feature worker runs). A failed pass
 * is logged and retried on the next tick; its claimed batch was released or will expire.
 */
export function startOutboxRelay(
  options: OutboxRelayOptions & {
    intervalMs?: number;
    /** Drained events are kept this long (for inspection), then pruned about once an hour. */
    retainDrainedMs?: number;
  },
): OutboxRelay {
  const intervalMs = options.intervalMs ?? 1_000;
  const retainDrainedMs = options.retainDrainedMs ?? 7 * 24 * 3_600_000;
  const clock = options.now ?? (() => new Date());
  let lastPrune = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        await drainOutbox(options);
        const now = clock();
        if (now.getTime() - lastPrune >= 3_600_000) {
          lastPrune = now.getTime();
          await options.outbox.prune(new Date(now.getTime() - retainDrainedMs));
        }
      } catch (error) {
        options.logger?.warn('outbox relay pass failed; retrying', { error: errorMessage(error) });
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, intervalMs);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}

function definedOnly(options: OutboxRelayOptions) {
  return Object.fromEntries(
    Object.entries({
      batchSize: options.batchSize,
      leaseMs: options.leaseMs,
      maxBatches: options.maxBatches,
    }).filter(([, value]) => value !== undefined),
  ) as Partial<typeof defaults>;
}
