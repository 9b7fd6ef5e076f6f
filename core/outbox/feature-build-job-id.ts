import { jobIdFor } from '../jobs/job-id.ts';
import type { OutboxEvent } from '../types/outbox-event.ts';

/**
 * The feature build for a batch of `document.changed` events, identified by what it builds: the
 * documents and content hashes, plus the events' own ids. Re-draining the same batch after a crash
 * yields the same id, so the queue dedupes it; the event ids make a document that changes back
 * to earlier content (A → B → A) a new job instead of a duplicate of the first build.
 */
export function featureBuildJobId(events: readonly OutboxEvent[]): string {
  const keys = events.map((event) => `${event.id}:${event.aggregateId}:${event.contentHash}`).sort();
  return jobIdFor('feature-build', ...keys);
}
