import { randomUUID } from 'node:crypto';
import { errorMessage, NotFoundError, ValidationError } from '../../errors.ts';
import { type JobName, type JobPayload, jobContracts, type QueueName } from '../../jobs/job-contracts.ts';
import { assertValidJobId } from '../../jobs/job-id.ts';
import { parseJobPayload } from '../../jobs/parse-job-payload.ts';
import { queuedJobRecord } from '../../jobs/queued-job-record.ts';
import type { Logger } from '../../logger.ts';
import type { JobContext, JobHandler, JobQueue, StopWorkersOptions } from '../../ports/job-queue.ts';
import type { JobRepository } from '../../ports/job-repository.ts';
import { finishedStatuses, type JobRecord } from '../../types/job-record.ts';
import { type RegisteredHandler, registeredHandler } from './registered-handler.ts';

type Pending = { record: JobRecord; controller: AbortController };

/**
 * Runs jobs inside this process with a concurrency limit, recording them in the job repository
 * exactly as the BullMQ adapter does, so the CLI and API see the same records either way.
 */
export class InProcessJobQueue implements JobQueue {
  readonly runs = 'this-process';
  private readonly handlers = new Map<string, RegisteredHandler>();
  private readonly waiting: Pending[] = [];
  private readonly active = new Map<string, Pending>();
  private readonly finished = new Map<string, Promise<JobRecord>>();
  private readonly resolvers = new Map<string, (record: JobRecord) => void>();
  private closed = false;
  /** Set by `stopWorkers`: queued jobs wait until `startWorkers` (or are cancelled by `close`). */
  private paused = false;
  private concurrency: number;

  constructor(
    private readonly jobs: JobRepository,
    private readonly options: { concurrency: number; logger: Logger },
  ) {
    this.concurrency = options.concurrency;
  }

  register<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, registeredHandler(name, handler));
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options: { jobId?: string } = {}) {
    if (this.closed) throw new ValidationError('the job queue is closed');
    const contract = parseJobPayload(name, payload);
    const id = options.jobId ?? randomUUID();
    assertValidJobId(id);
    const existing = await this.jobs.get(id);
    // Same id while queued or running here: hand back the job in flight (dedupe), like BullMQ does.
    // A record left "running" by a process that died is not in flight: in-process jobs die with
    // their process, so it is run again.
    const inFlight = this.active.has(id) || this.waiting.some((pending) => pending.record.id === id);
    if (existing && inFlight) return existing;
    const record = queuedJobRecord({ id, queue: contract.queue, name, payload: contract.payload });
    if (existing) {
      await this.jobs.update(id, { ...record });
    } else {
      await this.jobs.create(record);
    }
    this.finished.set(id, new Promise((resolve) => this.resolvers.set(id, resolve)));
    this.waiting.push({ record, controller: new AbortController() });
    queueMicrotask(() => this.pump());
    return record;
  }

  async waitFor(jobId: string): Promise<JobRecord> {
    const pending = this.finished.get(jobId);
    if (pending) return pending;
    const record = await this.jobs.get(jobId);
    if (!record) throw new NotFoundError(`job ${jobId} not found`);
    if (finishedStatuses.includes(record.status)) return record;
    throw new NotFoundError(`job ${jobId} is not run by this process`);
  }

  async cancel(jobId: string): Promise<void> {
    const index = this.waiting.findIndex((pending) => pending.record.id === jobId);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      await this.finish(jobId, { status: 'cancelled', error: 'cancelled before it started' });
      return;
    }
    const running = this.active.get(jobId);
    if (running) {
      running.controller.abort(new Error('cancelled'));
      return;
    }
    const record = await this.jobs.get(jobId);
    if (!record) throw new NotFoundError(`job ${jobId} not found`);
  }

  /**
   * Jobs already run in this process as soon as they are enqueued; this sets how many at once and
   * resumes taking jobs after `stopWorkers`. (The queue name is the BullMQ adapter's concern: here
   * every pipeline's jobs share the one pool.)
   */
  async startWorkers(
    _queue: QueueName,
    options: { concurrency: number; signal?: AbortSignal },
  ): Promise<void> {
    if (this.closed) throw new ValidationError('the job queue is closed');
    options.signal?.throwIfAborted();
    this.concurrency = options.concurrency;
    this.paused = false;
    this.pump();
  }

  /**
   * Stops starting queued jobs and lets the running ones finish; after `graceMs` they are aborted
   * (a job in this process cannot be handed to another), and after `abandonAfterMs` a handler that
   * ignores its abort signal is given up on. Queued jobs stay queued until `startWorkers` or `close`.
   */
  async stopWorkers(options: StopWorkersOptions): Promise<void> {
    this.paused = true;
    const running = [...this.active.keys()].map((id) => this.finished.get(id));
    if (running.length === 0) return;
    const settled = Promise.all(running);
    const timers: NodeJS.Timeout[] = [];
    const abort = setTimeout(() => {
      for (const pending of this.active.values()) pending.controller.abort(new Error('worker stopping'));
    }, options.graceMs);
    timers.push(abort);
    const abandoned = new Promise<'abandoned'>((resolve) => {
      timers.push(setTimeout(() => resolve('abandoned'), options.abandonAfterMs ?? options.graceMs + 10_000));
    });
    try {
      if ((await Promise.race([settled, abandoned])) === 'abandoned') {
        this.options.logger.warn('jobs in flight ignored the stop; giving up on them');
      }
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
  }

  async ping(): Promise<string> {
    return `in-process: ${this.active.size} running, ${this.waiting.length} waiting`;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) {
      await this.finish(pending.record.id, {
        status: 'cancelled',
        error: 'queue closed before the job started',
      });
    }
    for (const running of this.active.values()) running.controller.abort(new Error('queue closed'));
    await Promise.all([...this.active.keys()].map((id) => this.finished.get(id)));
  }

  private pump(): void {
    while (!this.paused && this.active.size < this.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift() as Pending;
      this.active.set(next.record.id, next);
      void this.run(next);
    }
  }

  private async run({ record, controller }: Pending): Promise<void> {
    const handler = this.handlers.get(record.name);
    const logger = this.options.logger.child({ job: record.id, name: record.name });
    try {
      if (!handler) throw new ValidationError(`no handler registered for ${record.name}`);
      await this.jobs.update(record.id, {
        status: 'running',
        startedAt: new Date().toISOString(),
        attempts: 1,
      });
      const context: JobContext = {
        jobId: record.id,
        signal: controller.signal,
        progress: async (fraction, message) => {
          await this.jobs.update(record.id, {
            progress: Math.min(1, Math.max(0, fraction)),
            progressMessage: message ?? null,
          });
        },
        log: async (message) => {
          logger.debug(message);
          await this.jobs.appendLog(record.id, message);
        },
      };
      const result = await handler(record.payload, context);
      if (controller.signal.aborted) throw controller.signal.reason;
      await this.finish(record.id, {
        status: 'completed',
        result: jobContracts[record.name as JobName].result.parse(result),
        progress: 1,
      });
    } catch (error) {
      const cancelled = controller.signal.aborted;
      if (!cancelled) logger.error('job failed', { error: errorMessage(error) });
      await this.finish(record.id, {
        status: cancelled ? 'cancelled' : 'failed',
        error: errorMessage(error),
      });
    } finally {
      this.active.delete(record.id);
      this.pump();
    }
  }

  private async finish(id: string, patch: Partial<JobRecord>): Promise<void> {
    const record = await this.jobs.update(id, { ...patch, finishedAt: new Date().toISOString() });
    this.resolvers.get(id)?.(record);
    this.resolvers.delete(id);
  }
}
