import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countRedisKeys,
  deleteRedisKeys,
  testPrefix,
  testRedisUrl,
} from '../core/adapters/queue/bullmq-test-support.ts';
import { openSqliteDatabase, type SqliteDatabase } from '../core/adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../core/adapters/sqlite/sqlite-metadata-store.ts';
import { SqliteVecVectorStore } from '../core/adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import type { MetadataStore } from '../core/ports/metadata-store.ts';
import { type SampleSites, startSampleSites } from '../datasets/sample-author/serve-sample-sites.ts';
import { runTwin } from './test-support/run-twin.ts';
import { type RunningTwin, startTwin, until } from './test-support/start-twin.ts';

type Running = RunningTwin;

/** Enough pages for a build to be caught part-way, few enough to keep the file well under a minute. */
const benchPages = 16;

type FeatureSetRow = { id: string; documents: number; chunks: number; vectors: number };

describe('twin worker on BullMQ', () => {
  const prefix = testPrefix();
  const folder = mkdtempSync(join(tmpdir(), 'twin-worker-'));
  const reference = join(folder, 'reference');
  const shared = join(folder, 'shared');
  const inProcessConfig = join(folder, 'in-process.yaml');
  const bullmqConfig = join(folder, 'bullmq.yaml');
  const started: Running[] = [];
  let sites: SampleSites;
  let database: SqliteDatabase | undefined;
  let metadata: MetadataStore | undefined;
  /** The configuration every file of this suite shares (crawler, embedder, features). */
  let common = '';

  const worker = (dataDir: string, ...extra: string[]) => {
    const running = startTwin([
      '--config',
      bullmqConfig,
      '--data-dir',
      dataDir,
      'worker',
      'feature',
      ...extra,
    ]);
    started.push(running);
    return running;
  };
  const ready = (running: Running) =>
    until('the worker to be ready', () => running.stdout().includes('ready'));
  /** Documents, chunks and vectors per feature set, read straight from a data folder's stores. */
  const featureSets = async (dataDir: string): Promise<FeatureSetRow[]> => {
    const opened = openSqliteDatabase(join(dataDir, 'twin.db'));
    try {
      const store = createSqliteMetadataStore(opened);
      const vectors = new SqliteVecVectorStore(opened);
      const sets = await store.featureSets.list();
      return Promise.all(
        sets.map(async ({ id, documents, chunks }) => ({
          id,
          documents,
          chunks,
          vectors: await vectors.count(id),
        })),
      );
    } finally {
      opened.close();
    }
  };
  /** The shared data folder's metadata store, opened directly (the workers write it). */
  const sharedStore = () => {
    if (!metadata) {
      database = openSqliteDatabase(join(shared, 'twin.db'));
      metadata = createSqliteMetadataStore(database);
    }
    return metadata;
  };
  const jobRecords = () => sharedStore().jobs;

  const featureBuilds = async () =>
    (await jobRecords().list({ queue: 'feature' })).filter((record) => record.name === 'feature.build');

  beforeAll(async () => {
    sites = await startSampleSites({ benchPages: benchPages });
    common = `crawler:\n  allowLoopback: true\n  perHostDelayMs: 0\n  devtoApiBase: ${sites.urls.devtoApiBase}\nembedder:\n  provider: use-lite\n  workers: 1\n  batchSize: 16\nfeatures:\n  batchSize: 8\n`;
    writeFileSync(inProcessConfig, `logLevel: warn\n${common}`);
    // Short locks so a killed worker's job is recovered within seconds.
    writeFileSync(
      bullmqConfig,
      `logLevel: info\n${common}stores:\n  queue:\n    driver: bullmq\n    url: ${testRedisUrl}\n    prefix: ${prefix}\n    concurrency: 1\n    attempts: 2\n    backoffMs: 100\n    stalledIntervalMs: 500\n    lockDurationMs: 4000\n`,
    );
    // One warehouse, crawled once, copied: the reference folder builds its features in one clean
    // in-process run; the shared folder builds the same documents through workers that get killed.
    const crawled = await runTwin([
      '--config',
      inProcessConfig,
      '--data-dir',
      reference,
      'crawl',
      sites.urls.benchSitemap as string,
      '--author',
      'Noor Halvorsen',
      '--no-features',
    ]);
    expect(crawled.code, crawled.stderr).toBe(0);
    cpSync(reference, shared, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    for (const running of started) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    await Promise.all(started.map((running) => running.exited));
    await metadata?.close();
    database?.close();
    await sites?.close();
    rmSync(folder, { recursive: true, force: true });
    await deleteRedisKeys(prefix);
    expect(await countRedisKeys(prefix)).toBe(0);
  });

  it('refuses to start on the in-process queue with a clear error', async () => {
    const [refused, unknown] = await Promise.all([
      runTwin(['--config', inProcessConfig, '--data-dir', reference, 'worker', 'feature']),
      runTwin(['--config', bullmqConfig, '--data-dir', reference, 'worker', 'billing']),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/twin worker needs stores\.queue\.driver: bullmq/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown queue "billing"; expected one of: feature, training, inference/);
  });

  it('starts training and inference workers (the inference one with the serving stack) and stops them on SIGTERM', async () => {
    const others = (['training', 'inference'] as const).map((queue) => {
      const running = startTwin(['--config', bullmqConfig, '--data-dir', reference, 'worker', queue]);
      started.push(running);
      return running;
    });
    await Promise.all(others.map(ready));
    expect(others[1]?.stdout()).toMatch(
      /twin worker inference ready \(pid \d+, concurrency 1, prefix twin-test-/,
    );
    for (const running of others) running.child.kill('SIGTERM');
    expect(await Promise.all(others.map((running) => running.exited))).toEqual([0, 0]);
  });

  it('recovers a job from a worker killed with SIGKILL mid-build: another worker finishes it, no loss and no duplicates', {
    timeout: 120_000,
  }, async () => {
    const clean = await runTwin([
      '--config',
      inProcessConfig,
      '--data-dir',
      reference,
      'features',
      'build',
      '--json',
    ]);
    expect(clean.code, clean.stderr).toBe(0);
    const expected = await featureSets(reference);
    expect(expected).toHaveLength(1);
    expect(expected[0]?.documents).toBe(benchPages);

    // The crawl ran with --no-features, so its changes are held; released, they are the relays'.
    expect(await sharedStore().outbox.releaseHeld()).toBe(benchPages);
    const workers = [worker(shared), worker(shared)];
    await Promise.all(workers.map(ready));
    // No one enqueues anything: the crawl left one outbox event per document, and the feature
    // workers' relays turn them into one feature build (deterministic id, so enqueued once).
    const running = await until('the build to be part-way', async () => {
      const builds = await featureBuilds();
      expect(builds.length).toBeLessThanOrEqual(1);
      const [record] = builds;
      return record?.status === 'running' && record.progress > 0 && record.progress < 0.8
        ? record
        : undefined;
    });
    const victim = await until('the worker that took the job', () =>
      workers.find((candidate) => candidate.stderr().includes(`job started`)),
    );
    const survivor = workers.find((candidate) => candidate !== victim) as Running;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBeNull();

    const finished = await until('the build to finish on the other worker', async () => {
      const record = await jobRecords().get(running.id);
      return record && record.status !== 'running' && record.status !== 'queued' ? record : undefined;
    });
    expect(finished.status, survivor.stderr()).toBe('completed');
    // Started again after the kill. (More than twice only if a starved worker also missed renewing
    // its lock on a loaded machine: BullMQ then runs it again, which the stores must also absorb.)
    expect(finished.attempts).toBeGreaterThanOrEqual(2);
    expect(survivor.stderr()).toMatch(
      new RegExp(`job completed.*${running.id}|${running.id}.*job completed`),
    );
    expect(running.id).toMatch(/^feature-build-/);
    expect(await featureBuilds()).toHaveLength(1);
    // Exactly the clean run's documents, chunks and vectors: nothing lost, nothing twice.
    expect(await featureSets(shared)).toEqual(expected);

    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  });

  it('finishes the job in flight on SIGTERM, then exits 0', { timeout: 90_000 }, async () => {
    const graceful = worker(shared, '--concurrency', '1', '--grace', '60');
    await ready(graceful);
    const producer = startTwin([
      '--config',
      bullmqConfig,
      '--data-dir',
      shared,
      'features',
      'build',
      '--force',
      '--json',
    ]);
    started.push(producer);
    const running = await until('the forced build to be running', async () => {
      const records = await jobRecords().list({ queue: 'feature', status: 'running' });
      return records.find((record) => record.progress > 0 && record.progress < 0.8);
    });
    graceful.child.kill('SIGTERM');
    expect(await graceful.exited).toBe(0);
    expect(await jobRecords().get(running.id)).toMatchObject({ status: 'completed', attempts: 1 });
    expect(graceful.stderr()).toMatch(/stopping: finishing the jobs in flight/);
    expect(await producer.exited).toBe(0);
    expect(JSON.parse(producer.stdout())).toMatchObject({ processed: benchPages });
  });

  it('keeps the lock of a long build while healthy: no stall, one attempt', {
    timeout: 120_000,
  }, async () => {
    // BullMQ renews a job's lock every lockDuration / 2 from the worker's event loop; with a lock
    // this short, a build that blocked the loop (embedding on the main thread) would lose it.
    const lockMs = 600;
    const tight = join(folder, 'tight-lock.yaml');
    writeFileSync(
      tight,
      `logLevel: info\n${common}stores:\n  queue:\n    driver: bullmq\n    url: ${testRedisUrl}\n    prefix: ${prefix}\n    concurrency: 1\n    attempts: 2\n    backoffMs: 100\n    stalledIntervalMs: 300\n    lockDurationMs: ${lockMs}\n    maxStalledCount: 1\n`,
    );
    const steady = startTwin(['--config', tight, '--data-dir', shared, 'worker', 'feature']);
    started.push(steady);
    await ready(steady);
    const producer = startTwin([
      '--config',
      tight,
      '--data-dir',
      shared,
      'features',
      'build',
      '--force',
      '--json',
    ]);
    started.push(producer);
    expect(await producer.exited, producer.stderr()).toBe(0);
    const built = JSON.parse(producer.stdout());
    expect(built).toMatchObject({ processed: benchPages, rejected: [] });
    // Long enough to need several renewals.
    expect(built.durationMs).toBeGreaterThan(4 * lockMs);
    const [latest] = (await featureBuilds()).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    expect(latest).toMatchObject({ status: 'completed', attempts: 1, result: built });
    expect(steady.stderr()).toMatch(new RegExp(`job completed.*${latest?.id}|${latest?.id}.*job completed`));
    expect(steady.stderr()).not.toMatch(/stalled|could not renew|missing lock/i);
    steady.child.kill('SIGTERM');
    expect(await steady.exited).toBe(0);
  });
});

describe('twin worker with Redis unreachable', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-worker-down-'));
  const config = join(folder, 'unreachable.yaml');
  const started: Running[] = [];

  beforeAll(async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    writeFileSync(
      config,
      `logLevel: info\nstores:\n  queue:\n    driver: bullmq\n    url: redis://127.0.0.1:${port}\n    prefix: ${testPrefix()}\n    concurrency: 1\n    attempts: 2\n    backoffMs: 100\n    stalledIntervalMs: 500\n    lockDurationMs: 4000\n`,
    );
  });
  afterAll(async () => {
    for (const running of started) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    await Promise.all(started.map((running) => running.exited));
    rmSync(folder, { recursive: true, force: true });
  });
  const start = () => {
    const running = startTwin(['--config', config, '--data-dir', join(folder, 'data'), 'worker', 'feature']);
    started.push(running);
    return running;
  };

  it('says that it cannot reach Redis and fails its start-up with exit code 1', {
    timeout: 60_000,
  }, async () => {
    const running = start();
    expect(await running.exited).toBe(1);
    expect(running.stderr()).toMatch(
      /error=connect ECONNREFUSED 127\.0\.0\.1:\d+ redis=redis:\/\/127\.0\.0\.1:\d+/,
    );
    expect(running.stderr()).toMatch(
      /error: could not start the feature worker: Redis at redis:\/\/127\.0\.0\.1:\d+ \(stores\.queue\.url\) failed: no answer within \d+ ms \(last error: connect ECONNREFUSED/,
    );
    expect(running.stdout()).not.toMatch(/ready/);
  });

  it('stops at once on the first SIGTERM while it waits for Redis', { timeout: 60_000 }, async () => {
    const running = start();
    await until('the worker to report that Redis refuses it', () =>
      running.stderr().includes('ECONNREFUSED'),
    );
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.stderr()).toMatch(/stopped before the worker was ready/);
    // The signal ended the start-up, not the start-up's own time limit.
    expect(running.stderr()).not.toMatch(/could not start the feature worker/);
  });
});
