import type { JobRecord } from '../types/job-record.ts';

/** The record of a job that is queued and has not run yet; every queue adapter writes the same one. */
export function queuedJobRecord(job: {
  id: string;
  queue: string;
  name: string;
  payload: unknown;
  createdAt?: string;
}): JobRecord {
  return {
    id: job.id,
    queue: job.queue,
    name: job.name,
    status: 'queued',
    payload: job.payload,
    result: null,
    error: null,
    progress: 0,
    progressMessage: null,
    attempts: 0,
    createdAt: job.createdAt ?? new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
  };
}
