import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { featureBuildResult, runJobQueueContract } from '../../contracts/job-queue-contract.ts';
import { ServiceError, ValidationError } from '../../errors.ts';
import type { QueueName } from '../../jobs/job-contracts.ts';
import type { MetadataStore } from '../../ports/metadata-store.ts';
import type { JobRecord } from '../../types/job-record.ts';
import type { BullMqJobQueue } from './bullmq-job-queue.ts';
import {
  countRedisKeys,
  deleteRedisKeys,
  openTestMetadata,
  openTestQueue,
  testPrefix,
  testRedisUrl,
} from './bullmq-test-support.ts';

// Real Redis at 127.0.0.1:6379; every queue of this file lives under one random prefix.
const prefix = testPrefix();
const queueNames: QueueName[] = ['feature', 'training', 'inference'];

afterAll(async () => {
  await deleteRedisKeys(prefix);
  expect(await countRedisKeys(prefix)).toBe(0);
});

/** Obliterates the three pipeline queues and closes every queue a test opened. */
async function closeAll(queues: BullMqJobQueue[]): Promise<void> {
  const [first] = queues;
  if (first) {
    for (const name of queueNames) await first.queue(name).obliterate({ force: true });
  }
  for (const queue of queues) await queue.close();
}

runJobQueueContract('bullmq', async () => {
  const opened = await openTestMetadata();
  const queue = openTestQueue(opened.metadata, prefix, { attempts: 2 });
  await queue.startWorkers('feature', { concurrency: 2 });
  return {
    queue,
    jobs: opened.metadata.jobs,
    close: async () => {
      await closeAll([queue]);
      await opened.close();
    },
  };
});

/** Resolves once `predicate` holds for the job's record (records are shared by every process). */
async function recordWhere(
  metadata: MetadataStore,
  id: string,
  predicate: (record: JobRecord) => boolean,
): Promise<JobRecord> {
  for (;;) {
    const record = await metadata.jobs.get(id);
    if (record && predicate(record)) return record;
    await sleep(20);
  }
}

describe('BullMQ job queue specifics', () => {
  let metadata: MetadataStore;
  let closeMetadata: () => Promise<void>;
  const opened: BullMqJobQueue[] = [];
  const open = (overrides: Parameters<typeof openTestQueue>[2] = {}) => {
    const queue = openTestQueue(metadata, prefix, overrides);
    opened.push(queue);
    return queue;
  };

  beforeEach(async () => {
    const store = await openTestMetadata();
    metadata = store.metadata;
    closeMetadata = store.close;
  });
  afterEach(async () => {
    await closeAll(opened.splice(0));
    await closeMetadata();
  });

  it('retries a failing job with exponential backoff, then records the success and its attempts', async () => {
    const queue = open({ attempts: 3, backoffMs: 50 });
    let runs = 0;
    queue.register('feature.build', async () => {
      runs += 1;
      if (runs < 3) throw new Error(`flaky embedder (${runs})`);
      return featureBuildResult(3);
    });
    // Each retry waits in BullMQ's delayed set (the backoff) instead of running again at once.
    const delayed: string[] = [];
    const events = new QueueEvents('feature', { connection: { url: testRedisUrl }, prefix });
    events.on('delayed', ({ jobId }) => delayed.push(jobId));
    await events.waitUntilReady();
    try {
      await queue.startWorkers('feature', { concurrency: 1 });
      const job = await queue.enqueue('feature.build', {});
      const bullJob = await queue.queue('feature').getJob(job.id);
      expect(bullJob?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 50 } });
      const intermediate = await recordWhere(metadata, job.id, (record) => record.error !== null);
      expect(intermediate.error).toMatch(/flaky embedder/);
      const finished = await queue.waitFor(job.id);
      expect(finished).toMatchObject({ status: 'completed', attempts: 3, result: featureBuildResult(3) });
      expect(runs).toBe(3);
      await vi.waitFor(() => expect(delayed).toEqual([job.id, job.id]));
    } finally {
      await events.close();
    }
  });

  it('fails a non-retryable error at once (UnrecoverableError), whatever attempts are left', async () => {
    const queue = open({ attempts: 5, backoffMs: 10 });
    let runs = 0;
    queue.register('feature.build', async () => {
      runs += 1;
      throw new ValidationError('document doc_1 has no text');
    });
    await queue.startWorkers('feature', { concurrency: 1 });
    const job = await queue.enqueue('feature.build', {});
    const finished = await queue.waitFor(job.id);
    expect(finished).toMatchObject({ status: 'failed', attempts: 1, error: 'document doc_1 has no text' });
    expect(runs).toBe(1);
    // The retryable failure for comparison: all five attempts are used.
    let flaky = 0;
    queue.register('feature.build', async () => {
      flaky += 1;
      throw new Error('connection reset');
    });
    const retried = await queue.waitFor((await queue.enqueue('feature.build', {})).id);
    expect(retried).toMatchObject({ status: 'failed', attempts: 5, error: 'connection reset' });
    expect(flaky).toBe(5);
  });

  it('dedupes a job id across processes while it is in flight, and runs it once', async () => {
    const worker = open();
    const producer = open();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    worker.register('feature.build', async () => {
      runs += 1;
      await gate;
      return featureBuildResult(1);
    });
    await worker.startWorkers('feature', { concurrency: 2 });
    const first = await producer.enqueue('feature.build', { authorId: 'ada' }, { jobId: 'dedupe-1' });
    await recordWhere(metadata, 'dedupe-1', (record) => record.status === 'running');
    const second = await producer.enqueue('feature.build', { authorId: 'ada' }, { jobId: 'dedupe-1' });
    const third = await worker.enqueue('feature.build', { authorId: 'ada' }, { jobId: 'dedupe-1' });
    expect(second.createdAt).toBe(first.createdAt);
    expect(third.status).toBe('running');
    release();
    expect((await producer.waitFor('dedupe-1')).status).toBe('completed');
    expect(runs).toBe(1);
  });

  it('cancels a queued job: removed from Redis, recorded cancelled, never run', async () => {
    const producer = open();
    const job = await producer.enqueue('feature.build', {});
    expect(await producer.queue('feature').getJob(job.id)).toBeDefined();
    await producer.cancel(job.id);
    expect(await producer.queue('feature').getJob(job.id)).toBeUndefined();
    expect(await metadata.jobs.get(job.id)).toMatchObject({
      status: 'cancelled',
      error: 'cancelled before it started',
    });
    // A worker started afterwards finds nothing to run.
    let runs = 0;
    const worker = open();
    worker.register('feature.build', async () => {
      runs += 1;
      return featureBuildResult(1);
    });
    await worker.startWorkers('feature', { concurrency: 1 });
    const later = await producer.enqueue('feature.build', { force: true });
    await producer.waitFor(later.id);
    expect(runs).toBe(1);
  });

  it('cancels a job running in another process through its abort signal', async () => {
    const worker = open();
    const producer = open();
    worker.register('feature.build', async (_payload, context) => {
      await context.progress(0.25, 'embedding');
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      throw new Error('stopped embedding');
    });
    await worker.startWorkers('feature', { concurrency: 1 });
    const job = await producer.enqueue('feature.build', {});
    // Progress a handler reports is visible in the record to any process.
    const running = await recordWhere(metadata, job.id, (record) => record.progress === 0.25);
    expect(running).toMatchObject({ status: 'running', progressMessage: 'embedding', attempts: 1 });
    await producer.cancel(job.id);
    const finished = await producer.waitFor(job.id);
    expect(finished).toMatchObject({ status: 'cancelled', error: 'cancelled' });
    expect(finished.finishedAt).not.toBeNull();
  });

  it('hands the job in flight back when a stopping worker runs out of grace, and another worker finishes it', async () => {
    const stopping = open();
    const successor = open();
    let firstRun = true;
    stopping.register('feature.build', async (_payload, context) => {
      firstRun = false;
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      throw new Error('interrupted');
    });
    await stopping.startWorkers('feature', { concurrency: 1 });
    const job = await successor.enqueue('feature.build', {});
    await recordWhere(metadata, job.id, (record) => record.status === 'running');
    await stopping.stopWorkers({ graceMs: 50 });
    expect(firstRun).toBe(false);
    expect(await metadata.jobs.get(job.id)).toMatchObject({
      status: 'queued',
      progressMessage: 'handed back by a stopping worker',
    });
    successor.register('feature.build', async () => featureBuildResult(9));
    await successor.startWorkers('feature', { concurrency: 1 });
    const finished = await successor.waitFor(job.id);
    expect(finished).toMatchObject({ status: 'completed', result: featureBuildResult(9) });
  });

  it('does not let a handler that ignores its abort signal block shutdown', async () => {
    const stuck = open();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    stuck.register('feature.build', async () => {
      await gate;
      return featureBuildResult(4);
    });
    await stuck.startWorkers('feature', { concurrency: 1 });
    const job = await stuck.enqueue('feature.build', {});
    await recordWhere(metadata, job.id, (record) => record.status === 'running');
    await stuck.stopWorkers({ graceMs: 20, abandonAfterMs: 60 });
    // Given up on, not finished: its lock (still renewed while this process lives) keeps it running.
    expect((await metadata.jobs.get(job.id))?.status).toBe('running');
    // When it does return, its aborted run is handed back to the queue, and a live worker runs it.
    release();
    await recordWhere(metadata, job.id, (record) => record.status === 'queued');
    const successor = open();
    successor.register('feature.build', async () => featureBuildResult(5));
    await successor.startWorkers('feature', { concurrency: 1 });
    expect(await successor.waitFor(job.id)).toMatchObject({
      status: 'completed',
      result: featureBuildResult(5),
    });
  });

  it('stops its workers and closes when Redis has gone away since they started', async () => {
    // A TCP proxy to the test Redis, cut mid-way: from then on Redis is unreachable for the queue.
    const target = new URL(testRedisUrl);
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    const queue = openTestQueue(metadata, prefix, {
      url: `redis://127.0.0.1:${port}/0`,
      commandTimeoutMs: 1_000,
    });
    queue.register('feature.build', async () => featureBuildResult(1));
    await queue.startWorkers('feature', { concurrency: 1 });
    expect(await queue.ping()).toMatch(/feature 0 active/);
    await new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    await expect(queue.ping()).rejects.toThrow(ServiceError);
    // Both return although no command can reach Redis any more (the test would time out otherwise).
    await queue.stopWorkers({ graceMs: 100, abandonAfterMs: 2_000 });
    await queue.close();
  });

  it('keeps running jobs after Redis drops the worker connections (they reconnect)', async () => {
    const queue = open();
    let runs = 0;
    queue.register('feature.build', async () => {
      runs += 1;
      return featureBuildResult(runs);
    });
    await queue.startWorkers('feature', { concurrency: 1 });
    expect((await queue.waitFor((await queue.enqueue('feature.build', {})).id)).status).toBe('completed');
    // BullMQ names its connections `<prefix>:<queue>...`: kill exactly ours, by id.
    const admin = new Redis(testRedisUrl);
    try {
      const list = String(await admin.call('CLIENT', 'LIST'));
      const ours = list
        .split('\n')
        .filter((line) => line.includes(` name=${prefix}:`))
        .map((line) => /^id=(\d+)/.exec(line)?.[1] as string);
      expect(ours.length).toBeGreaterThanOrEqual(2);
      for (const id of ours) await admin.call('CLIENT', 'KILL', 'ID', id);
    } finally {
      admin.disconnect();
    }
    const again = await queue.enqueue('feature.build', { force: true });
    expect(await queue.waitFor(again.id)).toMatchObject({
      status: 'completed',
      result: featureBuildResult(2),
    });
  });

  it('refuses to enqueue with a clear error when Redis is unreachable, recording nothing', async () => {
    // Not in `opened`: there is no Redis behind it to obliterate.
    const queue = openTestQueue(metadata, prefix, { url: 'redis://127.0.0.1:1/0', commandTimeoutMs: 1_000 });
    const error = await queue
      .enqueue('feature.build', {}, { jobId: 'never-queued' })
      .catch((caught) => caught);
    const ping = await queue.ping().catch((caught) => caught);
    await queue.close();
    expect(ping).toBeInstanceOf(ServiceError);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1\/0 \(stores\.queue\.url\)/);
    expect(await metadata.jobs.get('never-queued')).toBeNull();
  });

  it('fails to start workers with the last connection error when Redis is unreachable, and a signal ends the start at once', async () => {
    const queue = openTestQueue(metadata, prefix, { url: 'redis://127.0.0.1:1/0', commandTimeoutMs: 1_000 });
    const refused = await queue.startWorkers('feature', { concurrency: 1 }).catch((caught) => caught);
    expect(refused).toBeInstanceOf(ServiceError);
    expect(refused.message).toMatch(
      /could not start the feature worker: Redis at redis:\/\/127\.0\.0\.1:1\/0 \(stores\.queue\.url\) failed: no answer within 1000 ms \(last error: connect ECONNREFUSED 127\.0\.0\.1:1\)/,
    );
    const stop = new AbortController();
    const stopped = queue
      .startWorkers('training', { concurrency: 1, signal: stop.signal })
      .catch((caught) => caught);
    stop.abort();
    expect((await stopped).message).toMatch(/stopped while waiting to start the training worker/);
    // Nothing was left running, so closing does not wait for Redis.
    await queue.close();
  });

  it('round-trips a job on each pipeline queue under the configured prefix', async () => {
    const queue = open();
    queue.register('feature.build', async (payload) => featureBuildResult(payload.documentIds?.length ?? 0));
    queue.register('training.finetune', async (payload) => ({
      modelName: payload.modelName,
      version: 1,
      backend: payload.backend,
      metrics: { loss: 0.5 },
      lossCurveKey: null,
      durationMs: 1,
    }));
    queue.register('inference.batch', async (payload) => ({
      outputKey: payload.outputKey,
      total: 2,
      succeeded: 2,
      failed: 0,
      modelVersions: ['twin:1'],
      durationMs: 1,
    }));
    const feature = await queue.enqueue('feature.build', { documentIds: ['a', 'b'] });
    const training = await queue.enqueue('training.finetune', {
      datasetId: 'ds_0123456789ab',
      backend: 'local',
      modelName: 'twin',
      requestedBy: 'test',
    });
    const inference = await queue.enqueue('inference.batch', {
      inputKey: 'in.jsonl',
      outputKey: 'out.jsonl',
    });
    // Each job sits in its own pipeline's Redis queue.
    expect(await queue.queue('training').getJob(training.id)).toBeDefined();
    expect(await queue.queue('feature').getJob(training.id)).toBeUndefined();
    expect(await queue.ping()).toMatch(
      /^bullmq at redis:.*: feature 0 active\/1 waiting, training 0 active\/1 waiting, inference 0 active\/1 waiting$/,
    );
    for (const name of queueNames) await queue.startWorkers(name, { concurrency: 1 });
    expect(await queue.waitFor(feature.id)).toMatchObject({
      status: 'completed',
      queue: 'feature',
      result: { chunks: 2 },
    });
    expect(await queue.waitFor(training.id)).toMatchObject({
      status: 'completed',
      queue: 'training',
      result: { modelName: 'twin', version: 1 },
    });
    expect(await queue.waitFor(inference.id)).toMatchObject({
      status: 'completed',
      queue: 'inference',
      result: { outputKey: 'out.jsonl', succeeded: 2 },
    });
    // Finished jobs leave Redis: the records keep the history.
    expect(await queue.queue('inference').getJob(inference.id)).toBeUndefined();
  });

  it('a redundant rerun of a job that already completed keeps the first result and runs nothing', async () => {
    const queue = open();
    let runs = 0;
    queue.register('feature.build', async () => {
      runs += 1;
      return featureBuildResult(0);
    });
    await queue.enqueue('feature.build', {}, { jobId: 'rerun-build' });
    // As after a worker that recorded its result, then lost its lock before telling BullMQ: the
    // record says completed while the job is in Redis again.
    await metadata.jobs.update('rerun-build', {
      status: 'completed',
      result: featureBuildResult(195),
      progress: 1,
      attempts: 1,
    });
    await queue.startWorkers('feature', { concurrency: 1 });
    const raw = queue.queue('feature');
    for (;;) {
      if (!(await raw.getJob('rerun-build'))) break;
      await sleep(20);
    }
    expect(runs).toBe(0);
    expect(await metadata.jobs.get('rerun-build')).toMatchObject({
      status: 'completed',
      result: featureBuildResult(195),
      attempts: 1,
    });
  });

  for (const [maxStalledCount, outcome] of [
    [1, 'failed'],
    [2, 'completed'],
  ] as const) {
    it(`counts stalls against maxStalledCount ${maxStalledCount}: a job that stalled twice is ${outcome}`, async () => {
      const jobId = `stalls-twice-${maxStalledCount}`;
      const timings = { lockDuration: 300, stalledInterval: 100 };
      const queue = open({ maxStalledCount, lockDurationMs: 300, stalledIntervalMs: 100 });
      let runs = 0;
      queue.register('feature.build', async () => {
        runs += 1;
        return featureBuildResult(1);
      });
      await queue.enqueue('feature.build', {}, { jobId });
      const raw = queue.queue('feature');
      // Dead workers: each takes the job (a manual fetch holds its lock and never renews it), records
      // it running, and is gone. A tolerant checker moves the first stall back to the queue.
      const dead = () =>
        new Worker('feature', null, {
          connection: { url: testRedisUrl },
          prefix,
          ...timings,
          maxStalledCount: 10,
          autorun: false,
        }).on('error', () => {});
      const first = dead();
      expect((await first.getNextJob('dead-1'))?.id).toBe(jobId);
      await metadata.jobs.update(jobId, { status: 'running', attempts: 1 });
      await first.startStalledCheckTimer();
      while ((await (await raw.getJob(jobId))?.getState()) !== 'waiting') await sleep(20);
      await first.close();
      const second = dead();
      const taken = await second.getNextJob('dead-2');
      expect(taken).toMatchObject({ id: jobId, stalledCounter: 1 });
      await metadata.jobs.update(jobId, { status: 'running', attempts: 2 });
      // The live worker's stalled check finds the second stall and applies the configured limit.
      await queue.startWorkers('feature', { concurrency: 1 });
      const finished = await recordWhere(metadata, jobId, (record) => record.status === outcome);
      if (outcome === 'failed') {
        expect(finished.error).toMatch(/stalled more than allowable limit/);
        expect(runs).toBe(0);
      } else {
        expect(finished.result).toEqual(featureBuildResult(1));
        expect(runs).toBe(1);
      }
      await second.close(true);
    });
  }

  it('records and runs a job another tool put on the queue, and fails one whose payload breaks its contract', async () => {
    const queue = open({ attempts: 3 });
    const seen: unknown[] = [];
    queue.register('feature.crawl', async (payload) => {
      seen.push(payload);
      throw new ValidationError('nothing to crawl in a test');
    });
    queue.register('feature.build', async (payload) => featureBuildResult(payload.documentIds?.length ?? 0));
    // Written straight to Redis, as another producer or tool could: no record, no zod on the way in.
    const raw = queue.queue('feature');
    await raw.add('feature.build', { documentIds: ['a'] }, { jobId: 'foreign-build', attempts: 3 });
    await raw.add('feature.crawl', { targets: [] }, { jobId: 'foreign-crawl', attempts: 3 });
    await queue.startWorkers('feature', { concurrency: 1 });
    const built = await recordWhere(metadata, 'foreign-build', (record) => record.status === 'completed');
    expect(built).toMatchObject({
      queue: 'feature',
      name: 'feature.build',
      attempts: 1,
      result: featureBuildResult(1),
    });
    const crawl = await recordWhere(metadata, 'foreign-crawl', (record) => record.status === 'failed');
    expect(crawl.error).toMatch(/invalid feature.crawl payload: targets/);
    expect(crawl.attempts).toBe(1);
    expect(seen).toEqual([]);
  });
});
