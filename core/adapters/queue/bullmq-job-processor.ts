import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import { errorMessage, TwinError, ValidationError } from '../../errors.ts';
import { type JobName, jobContracts } from '../../jobs/job-contracts.ts';
import { parseJobPayload } from '../../jobs/parse-job-payload.ts';
import { queuedJobRecord } from '../../jobs/queued-job-record.ts';
import type { Logger } from '../../logger.ts';
import type { JobContext } from '../../ports/job-queue.ts';
import type { JobPatch, JobRepository } from '../../ports/job-repository.ts';
import type { RegisteredHandler } from './registered-handler.ts';

export type ProcessorDependencies = {
  jobs: JobRepository;
  handlers: ReadonlyMap<string, RegisteredHandler>;
  logger: Logger;
  /** True once the worker is shutting down: an abort then means "hand the job back", not "cancel". */
  stopping(): boolean;
};

/** Every write of an attempt leaves a job that already completed as it is (first result wins). */
const keep = { keepCompleted: true };

/** Thrown into a BullMQ job so it fails at once, whatever attempts are left. */
const unrecoverable = (message: string) => new UnrecoverableError(message);

/**
 * The BullMQ processor: validates the payload again (the queue is a trust boundary: anything can
 * write to Redis), runs the registered handler and records every state change in the job
 * repository, as the in-process queue does. Non-retryable errors become UnrecoverableError.
 */
export function createJobProcessor(dependencies: ProcessorDependencies) {
  const { jobs, handlers } = dependencies;
  // Three declared parameters: BullMQ passes the abort signal only to processors that take it.
  return async (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> => {
    const id = job.id as string;
    const logger = dependencies.logger.child({ job: id, name: job.name });
    const attempt = Math.max(1, job.attemptsStarted);
    const handler = handlers.get(job.name);
    const aborted = signal ?? new AbortController().signal;
    logger.info('job started', { attempt });
    try {
      const existing = await jobs.get(id);
      // An earlier attempt completed, but BullMQ ran the job again (its worker lost the lock
      // before it could report): the first completed result stands, and nothing runs twice.
      if (existing?.status === 'completed') {
        logger.warn('job already completed by an earlier attempt; keeping its result', { attempt });
        return existing.result;
      }
      // A job someone else put on the queue (another tool, an older producer) still gets a record.
      if (!existing)
        await jobs.create(
          queuedJobRecord({
            id,
            queue: job.queueName,
            name: job.name,
            payload: job.data,
            createdAt: new Date(job.timestamp).toISOString(),
          }),
        );
      const parsed = parseJobPayload(job.name, job.data);
      if (!handler) throw new ValidationError(`no handler registered for ${job.name} in this worker`);
      await jobs.update(
        id,
        { status: 'running', startedAt: new Date().toISOString(), finishedAt: null, attempts: attempt },
        keep,
      );
      const context: JobContext = {
        jobId: id,
        signal: aborted,
        progress: async (fraction, message) => {
          const progress = Math.min(1, Math.max(0, fraction));
          await jobs.update(id, { progress, progressMessage: message ?? null }, keep);
          await job.updateProgress(progress);
        },
        log: async (message) => {
          logger.debug(message);
          await jobs.appendLog(id, message);
        },
      };
      const result = await handler(parsed.payload, context);
      if (aborted.aborted) throw aborted.reason;
      const parsedResult = jobContracts[job.name as JobName].result.parse(result);
      const completed = await jobs.update(
        id,
        {
          status: 'completed',
          result: parsedResult,
          error: null,
          progress: 1,
          finishedAt: new Date().toISOString(),
        },
        keep,
      );
      logger.info('job completed', { attempt });
      return completed.result;
    } catch (error) {
      const message = abortMessage(aborted, error);
      const retryable = !(error instanceof TwinError) || error.retryable;
      const maxAttempts = job.opts.attempts ?? 1;
      if (aborted.aborted && dependencies.stopping() && token) {
        // Shutting down and the job did not finish in time: put it back for another worker, as if
        // it had never started (no attempt is used up).
        await job.moveToWait(token);
        await record(logger, id, {
          status: 'queued',
          progressMessage: 'handed back by a stopping worker',
          startedAt: null,
        });
        logger.info('job handed back');
        throw new WaitingError();
      }
      if (aborted.aborted) {
        await record(logger, id, {
          status: 'cancelled',
          error: message,
          finishedAt: new Date().toISOString(),
        });
        logger.info('job cancelled', { attempt });
        throw unrecoverable(message);
      }
      if (retryable && job.attemptsMade + 1 < maxAttempts) {
        await record(logger, id, {
          status: 'queued',
          error: message,
          attempts: attempt,
          progressMessage: `attempt ${attempt} of ${maxAttempts} failed; retrying`,
        });
        logger.warn('job attempt failed; retrying', { attempt, error: message });
        throw error;
      }
      await record(logger, id, {
        status: 'failed',
        error: message,
        attempts: attempt,
        finishedAt: new Date().toISOString(),
      });
      logger.error('job failed', { attempt, error: message });
      throw retryable ? error : unrecoverable(message);
    }
  };

  /** Records how an attempt ended; failing to record is logged and never hides the job's own error. */
  async function record(logger: Logger, id: string, patch: JobPatch): Promise<void> {
    try {
      await jobs.update(id, patch, keep);
    } catch (error) {
      logger.error('could not record the job', { error: errorMessage(error) });
    }
  }
}

/** The record of a job that reached the queue without one. */
/** A cancelled job records why it stopped; BullMQ aborts with a plain string reason. */
function abortMessage(signal: AbortSignal, error: unknown): string {
  if (!signal.aborted) return errorMessage(error);
  const reason: unknown = signal.reason;
  return typeof reason === 'string' ? reason : errorMessage(reason ?? error);
}
