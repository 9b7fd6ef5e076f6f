import { canonicalJson, sha256 } from '../hashing.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import type { JobRecord } from '../types/job-record.ts';
import { type JobName, type JobPayload, jobContracts } from './job-contracts.ts';

/**
 * Submits a job whose id is derived from its parsed payload (minus `ignore`d fields such as who
 * asked), so submitting the same request again returns the same job: the completed one, or (through
 * the queue's own dedupe) the one in flight. A failed or cancelled job is run again.
 */
export async function submitIdempotentJob<N extends JobName>(
  dependencies: { queue: JobQueue; jobs: JobRepository },
  name: N,
  payload: JobPayload<N>,
  options: { prefix: string; ignore?: string[] },
): Promise<{ job: JobRecord; reused: boolean }> {
  const parsed = jobContracts[name].payload.parse(payload) as Record<string, unknown>;
  const identity = Object.fromEntries(
    Object.entries(parsed).filter(([key]) => !options.ignore?.includes(key)),
  );
  const jobId = `${options.prefix}_${sha256(`${name}\n${canonicalJson(identity)}`).slice(0, 16)}`;
  const existing = await dependencies.jobs.get(jobId);
  if (existing?.status === 'completed') return { job: existing, reused: true };
  const job = await dependencies.queue.enqueue(name, payload, { jobId });
  // The queue hands back the record of a job in flight unchanged; a fresh run gets a new createdAt.
  return { job, reused: existing !== null && existing.createdAt === job.createdAt };
}
