import type { JobName, JobPayload, JobResult, ParsedJobPayload } from '../jobs/job-contracts.ts';
import type { JobRecord } from '../types/job-record.ts';

export type JobContext = {
  jobId: string;
  /** Fraction in [0, 1] plus an optional message; shown in `twin jobs` and progress bars. */
  progress(fraction: number, message?: string): Promise<void>;
  log(message: string): Promise<void>;
  /** Aborted when the job is cancelled; long handlers check it between steps. */
  signal: AbortSignal;
};

export type JobHandler<N extends JobName> = (
  payload: ParsedJobPayload<N>,
  context: JobContext,
) => Promise<JobResult<N>>;

/**
 * Runs named jobs with zod-validated payloads. The same contracts run in process or on BullMQ.
 * Enqueueing with an id that is already queued or running returns the existing job (dedupe).
 */
export interface JobQueue {
  register<N extends JobName>(name: N, handler: JobHandler<N>): void;
  enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options?: { jobId?: string },
  ): Promise<JobRecord>;
  /** Resolves when the job has finished (completed, failed or cancelled). */
  waitFor(jobId: string): Promise<JobRecord>;
  cancel(jobId: string): Promise<void>;
  /** A one-line state of the queue for readiness checks; throws when its engine is unreachable. */
  ping(): Promise<string>;
  close(): Promise<void>;
}
