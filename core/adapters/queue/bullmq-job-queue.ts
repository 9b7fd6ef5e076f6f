import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents, type QueueEventsListener, QueueEventsProducer, Worker } from 'bullmq';
import { errorMessage, NotFoundError, ValidationError } from '../../errors.ts';
import type { JobName, JobPayload, QueueName } from '../../jobs/job-contracts.ts';
import { assertValidJobId } from '../../jobs/job-id.ts';
import { parseJobPayload } from '../../jobs/parse-job-payload.ts';
import { queuedJobRecord } from '../../jobs/queued-job-record.ts';
import type { Logger } from '../../logger.ts';
import type { JobHandler, JobQueue, StopWorkersOptions } from '../../ports/job-queue.ts';
import type { JobRepository } from '../../ports/job-repository.ts';
import { finishedStatuses, type JobRecord } from '../../types/job-record.ts';
import { boundedRedisCall } from './bounded-redis-call.ts';
import { createJobProcessor } from './bullmq-job-processor.ts';
import { useIoRedisForBullMq, withCreatedClients } from './redis-client-factory.ts';
import { type RegisteredHandler, registeredHandler } from './registered-handler.ts';

export type BullMqJobQueueOptions = {
  /** redis://host:port/db */
  url: string;
  /** Redis key prefix; queues are `<prefix>:feature`, `<prefix>:training`, `<prefix>:inference`. */
  prefix: string;
  attempts: number;
  backoffMs: number;
  stalledIntervalMs: number;
  lockDurationMs: number;
  /**
   * How often a job may stall (its worker stopped renewing its lock: killed, or its event loop
   * blocked) before BullMQ fails it. Stalls are counted apart from `attempts`. Default 1.
   */
  maxStalledCount?: number;
  logger: Logger;
  /** How often `waitFor` reads the job record (records are the source of truth for every process). */
  pollMs?: number;
  /** How long an enqueue, a cancel or a worker's start-up waits for Redis before failing. Default 10 s. */
  commandTimeoutMs?: number;
};

/** The custom QueueEvents event a cancelling process publishes; the worker running the job aborts it. */
const cancelEvent = 'twin:cancel';
interface CancelEvents extends QueueEventsListener {
  [cancelEvent]: (event: { jobId?: string }, id: string) => void;
}
/** BullMQ states in which a job id is still in flight (enqueueing it again returns it). */
const inFlightStates = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

type RunningWorker = { worker: Worker; events: QueueEvents };
/** How long `close` waits for connections to close cleanly before cutting them (Redis unreachable). */
const closeBoundMs = 5_000;

/**
 * The JobQueue on BullMQ: one Redis queue per pipeline. Any process can enqueue, wait for and
 * cancel jobs; only processes that call `startWorkers` run them (`twin worker <queue>`). Job
 * records in the metadata store are written by whoever changes a job's state, so `twin jobs` and
 * `GET /api/jobs/:id` read the same records as with the in-process queue.
 */
export class BullMqJobQueue implements JobQueue {
  readonly runs = 'worker-processes';
  private readonly handlers = new Map<string, RegisteredHandler>();
  private readonly queues = new Map<QueueName, Queue>();
  private readonly producers = new Map<QueueName, QueueEventsProducer>();
  private readonly workers = new Map<QueueName, RunningWorker>();
  /** Every Redis client this queue's BullMQ objects made, so `close` can cut them when Redis is gone. */
  private readonly clients: { disconnect(): void }[] = [];
  private stopping = false;
  private closed = false;

  constructor(
    private readonly jobs: JobRepository,
    private readonly options: BullMqJobQueueOptions,
  ) {
    useIoRedisForBullMq();
  }

  register<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, registeredHandler(name, handler));
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options: { jobId?: string } = {}) {
    if (this.closed) throw new ValidationError('the job queue is closed');
    const contract = parseJobPayload(name, payload);
    const id = options.jobId ?? randomUUID();
    assertValidJobId(id);
    const queue = this.queue(contract.queue);
    const existing = await this.jobs.get(id);
    const state = await this.redis(`enqueue ${name}`, async () => {
      const inBullMq = await queue.getJob(id);
      const current = inBullMq ? await inBullMq.getState() : null;
      // A finished BullMQ job would make `add` return it unchanged: remove it so the id runs again.
      if (inBullMq && current && !inFlightStates.has(current)) await inBullMq.remove().catch(() => {});
      return current;
    });
    // Same id still queued or running (in any process): hand back that job (dedupe).
    if (state && inFlightStates.has(state) && existing) return existing;
    const record = queuedJobRecord({ id, queue: contract.queue, name, payload: contract.payload });
    // The record exists before the job does, so a worker never runs a job it cannot record.
    if (existing) await this.jobs.update(id, { ...record });
    else await this.jobs.create(record);
    try {
      await this.redis(`enqueue ${name}`, () =>
        queue.add(name, contract.payload, {
          jobId: id,
          attempts: this.options.attempts,
          backoff: { type: 'exponential', delay: this.options.backoffMs },
          // The job records keep the history; Redis keeps only what is still to do.
          removeOnComplete: true,
          removeOnFail: true,
        }),
      );
    } catch (error) {
      // Not queued, so the record must not claim it is.
      await this.jobs.update(id, {
        status: 'failed',
        error: errorMessage(error),
        finishedAt: new Date().toISOString(),
      });
      throw error;
    }
    return record;
  }

  async waitFor(jobId: string): Promise<JobRecord> {
    for (;;) {
      const record = await this.jobs.get(jobId);
      if (!record) throw new NotFoundError(`job ${jobId} not found`);
      if (finishedStatuses.includes(record.status)) return record;
      await sleep(this.options.pollMs ?? 100);
    }
  }

  async cancel(jobId: string): Promise<void> {
    const record = await this.jobs.get(jobId);
    if (!record) throw new NotFoundError(`job ${jobId} not found`);
    if (finishedStatuses.includes(record.status)) return;
    const queueName = record.queue as QueueName;
    const job = await this.redis('cancel a job', () => this.queue(queueName).getJob(jobId));
    const state = job ? await this.redis('cancel a job', () => job.getState()) : 'unknown';
    if (job && state !== 'active') {
      try {
        // Fails when a worker holds the job's lock, i.e. it has just started: then abort it below.
        await job.remove();
        await this.jobs.update(jobId, {
          status: 'cancelled',
          error: 'cancelled before it started',
          finishedAt: new Date().toISOString(),
        });
        return;
      } catch (error) {
        this.options.logger.debug('job became active while cancelling', {
          job: jobId,
          error: errorMessage(error),
        });
      }
    }
    // Running somewhere: the worker that holds it aborts its signal and records it cancelled.
    this.localCancel(jobId);
    await this.redis('cancel a job', () =>
      this.producer(queueName).publishEvent({ eventName: cancelEvent, jobId }),
    );
  }

  /**
   * Runs this process's registered handlers for one pipeline queue. Jobs whose worker died (its
   * lock expired) are picked up again by any live worker (stalled-job recovery).
   */
  async startWorkers(
    queueName: QueueName,
    options: { concurrency: number; signal?: AbortSignal },
  ): Promise<void> {
    if (this.workers.has(queueName)) throw new ValidationError(`workers for ${queueName} already started`);
    const connection = this.connection();
    const logger = this.options.logger.child({ queue: queueName });
    const processor = createJobProcessor({
      jobs: this.jobs,
      handlers: this.handlers,
      logger,
      stopping: () => this.stopping,
    });
    const { value: made, clients } = withCreatedClients(() => ({
      worker: new Worker(queueName, processor, {
        connection,
        prefix: this.options.prefix,
        concurrency: options.concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.stalledIntervalMs,
        // Stalls are counted apart from attempts, against their own stated limit.
        maxStalledCount: this.options.maxStalledCount ?? 1,
        autorun: false,
      }),
      events: new QueueEvents(queueName, { connection, prefix: this.options.prefix }),
    }));
    const { worker, events } = made;
    this.clients.push(...clients);
    // While Redis is unreachable each connection reports every retry: say it once per new reason.
    let lastError = '';
    const reportError = (what: string) => (error: Error) => {
      if (error.message === lastError) return;
      lastError = error.message;
      logger.error(`${what} error`, { error: errorMessage(error), redis: this.options.url });
    };
    worker.on('error', reportError('worker'));
    worker.on('stalled', (jobId) => logger.warn('job stalled; it will run again', { job: jobId }));
    // A job that stalled too often is failed by BullMQ's stalled check, never by a processor, so
    // no processor records it: the workers listening on the queue's events do.
    events.on('failed', ({ jobId, failedReason }) => {
      if (failedReason.includes('stalled')) void this.failIfStillRunning(jobId, failedReason);
    });
    events.on<CancelEvents, typeof cancelEvent>(cancelEvent, (event) => {
      if (event.jobId) worker.cancelJob(event.jobId, 'cancelled');
    });
    events.on('error', reportError('queue events'));
    try {
      await this.redis(
        `start the ${queueName} worker`,
        async () => {
          await events.waitUntilReady();
          await worker.waitUntilReady();
        },
        { signal: options.signal, lastError: () => lastError },
      );
    } catch (error) {
      // Closing would first wait for a connection an unreachable Redis never gives: cut them.
      for (const client of clients) client.disconnect();
      throw error;
    }
    lastError = '';
    this.workers.set(queueName, { worker, events });
    void worker.run().catch((error: unknown) => {
      logger.error('worker stopped', { error: errorMessage(error) });
    });
  }

  /**
   * Stops taking jobs and lets the ones in flight finish; after `graceMs` they are aborted and
   * handed back to the queue for another worker. A handler that ignores its abort signal is given
   * up on after `abandonAfterMs`: this returns, the process can exit, and once its lock expires
   * another worker picks the job up (stalled-job recovery), so a stuck job never blocks shutdown.
   */
  async stopWorkers(options: StopWorkersOptions = { graceMs: 10_000 }): Promise<void> {
    const running = [...this.workers.values()];
    this.workers.clear();
    if (running.length === 0) return;
    const closing = Promise.all(running.map(({ worker }) => worker.close()));
    const handBack = setTimeout(() => {
      this.stopping = true;
      for (const { worker } of running) worker.cancelAllJobs('worker stopping');
    }, options.graceMs);
    let abandon: NodeJS.Timeout | undefined;
    const abandoned = new Promise<'abandoned'>((resolve) => {
      abandon = setTimeout(() => resolve('abandoned'), options.abandonAfterMs ?? options.graceMs + 10_000);
    });
    const closeEvents = () => Promise.all(running.map(({ events }) => events.close()));
    try {
      const outcome = await Promise.race([closing, abandoned]);
      if (outcome === 'abandoned') {
        this.options.logger.warn('jobs in flight ignored the stop; leaving them to stalled-job recovery');
        // Should the handler return after all (this process lives on), finish closing then.
        void closing.then(closeEvents, () => {});
        return;
      }
      await closeEvents();
    } finally {
      clearTimeout(handBack);
      clearTimeout(abandon);
    }
  }

  async ping(): Promise<string> {
    const counts = await this.redis('check the queues', async () => {
      const names: QueueName[] = ['feature', 'training', 'inference'];
      return Promise.all(
        names.map(async (name) => [name, await this.queue(name).getJobCounts('waiting', 'active')] as const),
      );
    });
    const described = counts.map(
      ([name, count]) => `${name} ${count.active ?? 0} active/${count.waiting ?? 0} waiting`,
    );
    return `bullmq at ${this.options.url}: ${described.join(', ')}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopWorkers();
    const closing = Promise.allSettled([
      ...[...this.producers.values()].map((producer) => producer.close()),
      ...[...this.queues.values()].map((queue) => queue.close()),
    ]);
    this.producers.clear();
    this.queues.clear();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'unreachable'>((resolve) => {
      timer = setTimeout(() => resolve('unreachable'), closeBoundMs);
    });
    try {
      if ((await Promise.race([closing, bound])) === 'unreachable') {
        this.options.logger.warn('Redis did not answer while closing; cutting the connections', {
          redis: this.options.url,
        });
        for (const client of this.clients) client.disconnect();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The BullMQ queue of one pipeline (tests obliterate it). */
  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = this.track(
        () => new Queue(name, { connection: this.connection(), prefix: this.options.prefix }),
      );
      queue.on('error', (error) => this.options.logger.error('queue error', { error: errorMessage(error) }));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private producer(name: QueueName): QueueEventsProducer {
    let producer = this.producers.get(name);
    if (!producer) {
      producer = this.track(
        () => new QueueEventsProducer(name, { connection: this.connection(), prefix: this.options.prefix }),
      );
      this.producers.set(name, producer);
    }
    return producer;
  }

  /** Runs a Redis operation within `commandTimeoutMs` (see `boundedRedisCall`). */
  private redis<T>(
    what: string,
    operation: () => Promise<T>,
    options: { signal?: AbortSignal; lastError?: () => string } = {},
  ): Promise<T> {
    return boundedRedisCall(what, operation, {
      ...options,
      url: this.options.url,
      limitMs: this.options.commandTimeoutMs ?? 10_000,
    });
  }

  /** Constructs a BullMQ object and keeps the Redis clients it made (see `close`). */
  private track<T>(create: () => T): T {
    const { value, clients } = withCreatedClients(create);
    this.clients.push(...clients);
    return value;
  }

  private connection() {
    return { url: this.options.url };
  }

  private localCancel(jobId: string): void {
    for (const { worker } of this.workers.values()) worker.cancelJob(jobId, 'cancelled');
  }

  private async failIfStillRunning(jobId: string, message: string): Promise<void> {
    try {
      const record = await this.jobs.get(jobId);
      if (record?.status !== 'running') return;
      await this.jobs.update(record.id, {
        status: 'failed',
        error: message,
        finishedAt: new Date().toISOString(),
      });
    } catch (error) {
      this.options.logger.error('could not record a failed job', { job: jobId, error: errorMessage(error) });
    }
  }
}
