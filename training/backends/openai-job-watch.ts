import { setTimeout as sleepFor } from 'node:timers/promises';
import { errorMessage, ServiceError } from '../../core/errors.ts';
import { OpenAIApiError } from '../../core/http/openai-api-error.ts';
import type { OpenAIHttpClient } from '../../core/http/openai-http-client.ts';
import type { FineTuneContext } from '../../core/ports/fine-tune-backend.ts';
import type { LossPoint } from '../../core/types/model-version.ts';
import {
  type FineTuningJob,
  type FineTuningJobEvent,
  FineTuningJobEventList,
  FineTuningJob as FineTuningJobSchema,
  type FineTuningJobStatus,
} from './openai-fine-tune-schemas.ts';

/** The job reached `failed` or `cancelled`: it is over at OpenAI and will not run again. */
export class FineTuningJobEndedError extends ServiceError {
  readonly job: FineTuningJob;
  constructor(message: string, job: FineTuningJob) {
    super(message);
    this.job = job;
  }
}

export type JobWatch = {
  /** The job in its final, succeeded state. */
  job: FineTuningJob;
  /** Loss points seen in `metrics` events while polling (the results file, when read, is fuller). */
  lossCurve: LossPoint[];
  /** trainLoss / validationLoss of the last metrics event. */
  lastMetrics: Record<string, number>;
};

export type WatchOptions = {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  sleep?: ((milliseconds: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Events fetched per poll (newest first); older unseen ones are skipped, not fetched. */
  eventPageSize?: number;
  /** Polls in a row that may fail (after the client's own retries) before the watch gives up. */
  maxPollFailures?: number;
};

/** Where each status sits on the progress bar; `running` spreads 0.1 → 0.95 over the steps. */
const statusProgress: Record<FineTuningJobStatus, number> = {
  validating_files: 0.06,
  queued: 0.08,
  running: 0.1,
  succeeded: 0.95,
  failed: 1,
  cancelled: 1,
};

/**
 * Polls a fine-tuning job until it ends, with exponential backoff (the interval doubles while the
 * status stays the same, and starts over when it changes), logging new events and reporting loss.
 * Throws a `FineTuningJobEndedError` on `failed` and `cancelled`, with OpenAI's own code and message.
 */
export async function watchFineTuningJob(
  client: OpenAIHttpClient,
  created: FineTuningJob,
  context: FineTuneContext,
  options: WatchOptions,
): Promise<JobWatch> {
  const wait = options.sleep ?? ((milliseconds, signal) => sleepFor(milliseconds, undefined, { signal }));
  const seen = new Set<string>();
  const lossCurve: LossPoint[] = [];
  const lastMetrics: Record<string, number> = {};
  let totalSteps: number | null = null;
  let job = created;
  let status: FineTuningJobStatus | null = null;
  let interval = options.pollIntervalMs;
  let failures = 0;

  for (let first = true; ; first = false) {
    context.signal.throwIfAborted();
    if (!first) {
      try {
        job = await client.json('GET', `/fine_tuning/jobs/${job.id}`, FineTuningJobSchema, {
          signal: context.signal,
        });
        const events = await client.json(
          'GET',
          `/fine_tuning/jobs/${job.id}/events?limit=${options.eventPageSize ?? 50}`,
          FineTuningJobEventList,
          { signal: context.signal },
        );
        failures = 0;
        const fresh = events.data.filter((event) => !seen.has(event.id)).reverse();
        for (const event of fresh) seen.add(event.id);
        totalSteps = (await reportEvents(fresh, context, lossCurve, lastMetrics)) ?? totalSteps;
      } catch (error) {
        // A job runs for hours; one bad minute at OpenAI must not lose it.
        if (context.signal.aborted || !(error instanceof OpenAIApiError) || !error.retryable) throw error;
        failures++;
        if (failures > (options.maxPollFailures ?? 5)) throw error;
        context.logger.warn('polling the OpenAI job failed; trying again later', {
          jobId: job.id,
          error: errorMessage(error),
        });
      }
    }

    if (job.status !== status) {
      status = job.status;
      interval = options.pollIntervalMs;
      await context.log(`OpenAI job ${job.id}: ${status}`);
    } else {
      interval = Math.min(interval * 2, options.maxPollIntervalMs);
    }
    await context.progress(progressOf(status, lossCurve, totalSteps), describe(job, lossCurve, totalSteps));

    if (status === 'succeeded') return { job, lossCurve, lastMetrics };
    if (status === 'failed') {
      const error = job.error;
      const code = error?.code ? `${error.code}: ` : '';
      const param = error?.param ? ` (${error.param})` : '';
      throw new FineTuningJobEndedError(
        `OpenAI fine-tuning job ${job.id} failed: ${code}${error?.message ?? 'no reason given'}${param}`,
        job,
      );
    }
    if (status === 'cancelled') {
      throw new FineTuningJobEndedError(
        `OpenAI fine-tuning job ${job.id} was cancelled outside this job`,
        job,
      );
    }
    await wait(interval, context.signal);
  }
}

/** Logs messages, reports loss; returns the total step count when a metrics event names it. */
async function reportEvents(
  events: FineTuningJobEvent[],
  context: FineTuneContext,
  lossCurve: LossPoint[],
  lastMetrics: Record<string, number>,
): Promise<number | null> {
  let totalSteps: number | null = null;
  let latestMetrics: FineTuningJobEvent | null = null;
  for (const event of events) {
    const data = event.data;
    if (event.type === 'metrics' && data?.step !== undefined && data.train_loss !== undefined) {
      const validationLoss = data.full_valid_loss ?? data.valid_loss ?? null;
      const point: LossPoint = { step: data.step, trainLoss: data.train_loss, validationLoss };
      lossCurve.push(point);
      context.onLoss?.(point);
      lastMetrics.trainLoss = point.trainLoss;
      if (validationLoss !== null) lastMetrics.validationLoss = validationLoss;
      if (data.total_steps !== undefined) totalSteps = data.total_steps;
      latestMetrics = event;
      continue;
    }
    await context.log(`openai: ${event.message}`);
  }
  // Metrics come every step; one line per poll keeps the job log readable.
  if (latestMetrics) await context.log(`openai: ${latestMetrics.message}`);
  return totalSteps;
}

function progressOf(status: FineTuningJobStatus, lossCurve: LossPoint[], totalSteps: number | null): number {
  const step = lossCurve.at(-1)?.step;
  if (status !== 'running' || step === undefined || !totalSteps) return statusProgress[status];
  return (
    statusProgress.running +
    (statusProgress.succeeded - statusProgress.running) * Math.min(1, step / totalSteps)
  );
}

function describe(job: FineTuningJob, lossCurve: LossPoint[], totalSteps: number | null): string {
  const last = lossCurve.at(-1);
  if (job.status !== 'running' || !last) return `OpenAI job ${job.status}`;
  return `OpenAI job running: step ${last.step}${totalSteps ? `/${totalSteps}` : ''}, loss ${last.trainLoss.toFixed(3)}`;
}
