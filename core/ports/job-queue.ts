import type { JobName, JobPayload, JobResult, ParsedJobPayload, QueueName } from '../jobs/job-contracts.ts';
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

export type StopWorkersOptions = {
  /** How long the jobs in flight may finish before they are aborted (and handed back, where the engine can). */
  graceMs: number;
  /**
   * How long after the stop a handler that ignores its abort signal is given up on, so a stuck job
   * never blocks shutdown. Default `graceMs` + 10 s.
   */
  abandonAfterMs?: number;
};

/**
 * Runs named jobs with zod-validated payloads. The same contracts run in process or on BullMQ.
 * Enqueueing with an id that is already queued or running returns the existing job (dedupe).
 * Job ids follow one rule on every adapter (see `core/jobs/job-id.ts`); an invalid one is refused.
 */
export interface JobQueue {
  /**
   * Where registered handlers run: `this-process` runs them in the process that enqueues, as soon
   * as a slot is free; `worker-processes` runs them only in processes that called `startWorkers`
   * (`twin worker <queue>`), so a job stays queued until one is up.
   */
  readonly runs: 'this-process' | 'worker-processes';
  register<N extends JobName>(name: N, handler: JobHandler<N>): void;
  enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options?: { jobId?: string },
  ): Promise<JobRecord>;
  /**
   * Starts running this process's registered handlers for one pipeline queue. Resolves once this
   * process takes jobs; rejects with a clear error when the queue's engine cannot be reached in
   * time, or at once when `signal` aborts (a stop signal during start-up), leaving nothing running.
   */
  startWorkers(queue: QueueName, options: { concurrency: number; signal?: AbortSignal }): Promise<void>;
  /** Stops taking jobs and lets those in flight finish within the grace (see StopWorkersOptions). */
  stopWorkers(options: StopWorkersOptions): Promise<void>;
  /** Resolves when the job has finished (completed, failed or cancelled). */
  waitFor(jobId: string): Promise<JobRecord>;
  cancel(jobId: string): Promise<void>;
  /** A one-line state of the queue for readiness checks; throws when its engine is unreachable. */
  ping(): Promise<string>;
  close(): Promise<void>;
}
