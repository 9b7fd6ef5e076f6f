import { setTimeout as sleep } from 'node:timers/promises';
import type { JobRepository } from '../ports/job-repository.ts';
import { drainOutbox, type OutboxRelayOptions } from './outbox-relay.ts';

export type FeatureBuildsCoveringOptions = OutboxRelayOptions & {
  jobs: JobRepository;
  /** The documents whose changes must be covered. */
  documentIds: readonly string[];
  /** When the writer started; only its own events count (same process, same clock). */
  since: string;
  signal?: AbortSignal;
  /** How often to look again while another relay is still handing a batch to the queue. */
  pollMs?: number;
};

/**
 * Drains the outbox and returns the ids of every feature build that covers the given documents'
 * changes since `since`, whichever relay enqueued it: this one, or a feature worker's relay that
 * claimed some of them first. Each event belongs to exactly one batch and each batch to one job id,
 * so every changed document is built once and none is left out. An event claimed by another relay
 * that has not recorded its job yet (a moment), or whose relay died before enqueueing (until its
 * lease ends and a drain here takes it over), is waited for.
 */
export async function featureBuildsCovering(options: FeatureBuildsCoveringOptions): Promise<string[]> {
  if (options.documentIds.length === 0) return [];
  for (;;) {
    await drainOutbox(options);
    const events = await options.outbox.list({
      aggregateIds: options.documentIds,
      createdFrom: options.since,
    });
    const jobIds = [...new Set(events.map((event) => event.jobId))];
    const known = await Promise.all(
      jobIds.map(async (jobId) => jobId !== null && (await options.jobs.get(jobId)) !== null),
    );
    if (known.every(Boolean)) return jobIds.filter((jobId): jobId is string => jobId !== null);
    if (options.signal?.aborted) throw options.signal.reason;
    await sleep(options.pollMs ?? 200);
  }
}
