import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceError, ValidationError } from '../../errors.ts';
import { type Logger, silentLogger } from '../../logger.ts';
import type { Embedder } from '../../ports/embedder.ts';
import { assertEmbeddable } from './assert-embeddable.ts';
import type { LocalEmbedderConfig } from './create-single-embedder.ts';
import { deserializeError, PoolReply, type PoolRequest } from './embedder-pool-protocol.ts';
import { splitIntoBatches } from './split-into-batches.ts';
import { type PoolWorker, startPoolWorker, type WorkerIdentity } from './start-pool-worker.ts';

export interface EmbedderPoolOptions {
  config: LocalEmbedderConfig;
  /** Worker threads, at least 1. */
  workers: number;
  logger?: Logger;
  /** Module each worker loads; tests swap in one that can crash on purpose. */
  workerModule?: URL;
}

interface Job {
  number: number;
  texts: string[];
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

const closeGraceMs = 5_000;

/**
 * Bulk embedding on every core: N worker threads each build the same embedder from the same
 * config, and the batches of one call are spread over them. Each batch is embedded whole by one
 * worker, exactly as the single embedder would embed it, so the vectors are identical to the
 * in-process embedder's. A worker that dies fails only its own batch and is replaced.
 */
export class EmbedderPool implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  private readonly options: EmbedderPoolOptions;
  private readonly logger: Logger;
  private readonly workers = new Set<PoolWorker>();
  private readonly running = new Map<PoolWorker, Job>();
  private readonly queue: Job[] = [];
  private starting = 0;
  private workersStarted: number;
  private jobsSubmitted = 0;
  private closed = false;

  private constructor(options: EmbedderPoolOptions, workers: PoolWorker[], logger: Logger) {
    const [first] = workers;
    if (!first) throw new ServiceError('an embedder pool needs a started worker');
    this.options = options;
    this.id = first.identity.id;
    this.dimensions = first.identity.dimensions;
    this.maxBatchSize = first.identity.maxBatchSize;
    this.logger = logger;
    this.workersStarted = workers.length;
    for (const worker of workers) this.adopt(worker);
  }

  static async create(options: EmbedderPoolOptions): Promise<EmbedderPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new ValidationError(`an embedder pool needs at least one worker, got ${options.workers}`);
    }
    const logger = (options.logger ?? silentLogger).child({ component: 'embedder-pool' });
    const started = await Promise.allSettled(
      Array.from({ length: options.workers }, (_, index) =>
        startPoolWorker(options, `embedder-worker-${index + 1}`),
      ),
    );
    const workers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = started.find((result) => result.status === 'rejected');
    const [first] = workers;
    const disagree = first && workers.some((worker) => !sameIdentity(worker.identity, first.identity));
    if (failure || !first || disagree) {
      await Promise.all(workers.map((worker) => worker.worker.terminate()));
      if (failure) throw failure.reason;
      throw new ServiceError(
        `embedder workers disagree on the model: ${workers.map((worker) => worker.identity.id).join(', ')}`,
      );
    }
    logger.info('embedder pool started', { embedder: first.identity.id, workers: workers.length });
    return new EmbedderPool(options, workers, logger);
  }

  /** Live workers (a crashed one counts again once its replacement is ready). */
  get size(): number {
    return this.workers.size;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    assertEmbeddable(texts);
    if (this.closed) throw new ValidationError('EmbedderPool is closed');
    const batches = splitIntoBatches(texts, this.maxBatchSize);
    const results = await Promise.all(batches.map((batch) => this.submit(batch)));
    return results.flat();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = new ValidationError('EmbedderPool was closed before the batch was embedded');
    for (const job of this.queue.splice(0)) job.reject(closing);
    for (const job of this.running.values()) job.reject(closing);
    this.running.clear();
    await Promise.all([...this.workers].map((worker) => this.stop(worker)));
  }

  private submit(texts: string[]): Promise<Float32Array[]> {
    return new Promise((resolve, reject) => {
      if (this.workers.size === 0 && this.starting === 0) {
        reject(noWorkersLeft());
        return;
      }
      this.queue.push({ number: ++this.jobsSubmitted, texts, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const worker of this.workers) {
      if (this.running.has(worker)) continue;
      const job = this.queue.shift();
      if (!job) break;
      this.running.set(worker, job);
      worker.worker.ref();
      const request: PoolRequest = { type: 'embed', job: job.number, texts: job.texts };
      worker.worker.postMessage(request);
    }
  }

  private adopt(worker: PoolWorker): void {
    this.workers.add(worker);
    // An idle pool must not keep the process alive; a busy worker must.
    worker.worker.unref();
    worker.worker.on('message', (message: unknown) => this.onReply(worker, message));
    worker.worker.on('exit', () => this.onExit(worker));
    // It may have died between saying it was ready and being adopted.
    if (worker.exitCode !== undefined) this.onExit(worker);
  }

  private onReply(worker: PoolWorker, message: unknown): void {
    const job = this.running.get(worker);
    const parsed = PoolReply.safeParse(message);
    if (!job || !parsed.success || (parsed.data.type !== 'vectors' && parsed.data.type !== 'error')) {
      this.logger.error('unexpected message from embedder worker', { worker: worker.name });
      return;
    }
    const reply = parsed.data;
    if (reply.job !== job.number) return;
    this.running.delete(worker);
    worker.worker.unref();
    if (reply.type === 'error') {
      job.reject(deserializeError(reply.error));
    } else if (
      reply.vectors.length !== job.texts.length ||
      reply.vectors.some((vector) => vector.length !== this.dimensions)
    ) {
      job.reject(
        new ServiceError(
          `${worker.name} returned ${reply.vectors.length} vectors for ${job.texts.length} texts`,
        ),
      );
    } else {
      job.resolve(reply.vectors);
    }
    this.dispatch();
  }

  private onExit(worker: PoolWorker): void {
    if (!this.workers.delete(worker) || this.closed) return;
    const job = this.running.get(worker);
    this.running.delete(worker);
    const reason = worker.crash ? worker.crash.message : `exit code ${worker.exitCode}`;
    this.logger.error('embedder worker died, replacing it', {
      worker: worker.name,
      reason,
      batch: job?.texts.length,
    });
    job?.reject(
      new ServiceError(
        `${worker.name} crashed (${reason}) while embedding a batch of ${job.texts.length} texts; a replacement worker is starting`,
        { retryable: true, cause: worker.crash },
      ),
    );
    void this.replace();
  }

  private async replace(): Promise<void> {
    this.starting++;
    const name = `embedder-worker-${++this.workersStarted}`;
    try {
      const worker = await startPoolWorker(this.options, name);
      if (this.closed) {
        await worker.worker.terminate();
        return;
      }
      if (!sameIdentity(worker.identity, this)) {
        await worker.worker.terminate();
        throw new ServiceError(`${name} loaded another model: ${worker.identity.id}`);
      }
      this.adopt(worker);
    } catch (error) {
      this.logger.error('could not replace an embedder worker', { worker: name, error: String(error) });
    } finally {
      this.starting--;
    }
    if (this.workers.size === 0 && this.starting === 0) {
      for (const job of this.queue.splice(0)) job.reject(noWorkersLeft());
    }
    this.dispatch();
  }

  /** Asks the worker to close its embedder and exit; terminates it if it does not in time. */
  private async stop(worker: PoolWorker): Promise<void> {
    this.workers.delete(worker);
    if (worker.exitCode !== undefined) return;
    const exited = new Promise((resolve) => worker.worker.once('exit', resolve));
    // Keep the process alive until the worker has closed its engine.
    worker.worker.ref();
    const close: PoolRequest = { type: 'close' };
    worker.worker.postMessage(close);
    const deadline = sleep(closeGraceMs, undefined, { ref: false }).then(() => worker.worker.terminate());
    await Promise.race([exited, deadline]);
  }
}

function sameIdentity(a: WorkerIdentity, b: WorkerIdentity): boolean {
  return a.id === b.id && a.dimensions === b.dimensions && a.maxBatchSize === b.maxBatchSize;
}

function noWorkersLeft(): ServiceError {
  return new ServiceError('every embedder worker has died and none could be restarted', { retryable: true });
}
