import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPostgresUrl, testSchemas } from '../core/adapters/postgres/postgres-test-database.ts';
import {
  countRedisKeys,
  deleteRedisKeys,
  testPrefix,
  testRedisUrl,
} from '../core/adapters/queue/bullmq-test-support.ts';
import type { MetadataStore } from '../core/ports/metadata-store.ts';
import { type SampleSites, startSampleSites } from '../datasets/sample-author/serve-sample-sites.ts';
import { runTwin } from './test-support/run-twin.ts';
import { type RunningTwin, startTwin, until } from './test-support/start-twin.ts';

/**
 * The scale-out deployment end to end, with nothing changed but configuration: crawl → features →
 * dataset → train → promote → chat and batch, every job through BullMQ on the real Redis (run by
 * three `twin worker` processes) and every record in PostgreSQL. Vectors stay in the embedded store
 * (no Qdrant server can run here; its adapter has its own replay and contract tests).
 */
describe('scale-out: BullMQ workers + PostgreSQL metadata', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-scale-'));
  const prefix = testPrefix();
  const schemas = testSchemas();
  const schema = schemas.next();
  const started: RunningTwin[] = [];
  let sites: SampleSites;
  let metadata: MetadataStore;
  let global: string[];

  const twin = async (...args: string[]) => {
    const result = await runTwin([...args, ...global]);
    expect(result.code, `twin ${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };

  beforeAll(async () => {
    await schemas.assertReachable();
    sites = await startSampleSites();
    const config = join(folder, 'scale-out.yaml');
    writeFileSync(
      config,
      [
        'logLevel: info',
        'crawler: { allowLoopback: true, perHostDelayMs: 0 }',
        'embedder: { provider: use-lite, workers: 1, batchSize: 32 }',
        'training: { backends: { local: { preset: ci } } }',
        'stores:',
        `  metadata: { driver: postgres, url: "${testPostgresUrl}", schema: ${schema}, poolSize: 4 }`,
        `  queue: { driver: bullmq, url: "${testRedisUrl}", prefix: ${prefix}, concurrency: 1, attempts: 2, backoffMs: 100, stalledIntervalMs: 1000, lockDurationMs: 10000 }`,
        '',
      ].join('\n'),
    );
    global = ['--config', config, '--data-dir', join(folder, 'data')];
    for (const queue of ['feature', 'training', 'inference']) {
      started.push(startTwin(['worker', queue, ...global]));
    }
    await Promise.all(
      started.map((worker) =>
        until(
          'a worker to be ready',
          () => {
            if (worker.child.exitCode !== null) throw new Error(`a worker exited:\n${worker.stderr()}`);
            return worker.stdout().includes('ready');
          },
          60_000,
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n${worker.stderr()}`);
        }),
      ),
    );
    metadata = schemas.store(schema);
  }, 120_000);

  afterAll(async () => {
    for (const worker of started) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await Promise.all(started.map((worker) => worker.exited));
    await metadata?.close();
    await schemas.dropAll();
    await sites?.close();
    rmSync(folder, { recursive: true, force: true });
    await deleteRedisKeys(prefix);
  });

  it('crawls, builds features, trains, promotes and answers, with every job run by a worker process', {
    timeout: 300_000,
  }, async () => {
    const crawled = JSON.parse(
      await twin('crawl', sites.urls.blogFeed, '--author', 'Noor Halvorsen', '--json'),
    );
    expect(crawled.crawl.created).toBeGreaterThan(3);
    expect(crawled.features).toMatchObject({ processed: crawled.crawl.created });
    expect(crawled.features.chunks).toBeGreaterThan(crawled.crawl.created);

    const dataset = JSON.parse(await twin('datasets', 'build', '--json'));
    expect(dataset.sizes.train).toBeGreaterThan(10);
    const trained = JSON.parse(
      await twin('train', '--dataset', dataset.id, '--set', 'preset=ci', '--set', 'steps=20', '--json'),
    );
    expect(trained).toMatchObject({ modelName: 'twin', version: 1, backend: 'local' });
    expect(await twin('models', 'promote', 'twin', '1')).toMatch(/production/);

    const answer = await twin('chat', 'What does Noor think about rollbacks?', '--max-tokens', '12');
    expect(answer.trim().length).toBeGreaterThan(0);
    const prompts = join(folder, 'prompts.jsonl');
    writeFileSync(prompts, `${JSON.stringify({ id: 'q1', prompt: 'How should a crawler behave?' })}\n`);
    await twin('batch', prompts, '--max-tokens', '8');

    // Every record is in PostgreSQL, under the configured schema.
    const documents = await metadata.documents.list({});
    expect(documents).toHaveLength(crawled.crawl.created);
    expect((await metadata.models.get('twin', 1))?.datasetId).toBe(dataset.id);
    expect(await metadata.models.getAlias('twin', 'production')).toMatchObject({ version: 1 });

    // Every job ran on its pipeline's worker process, through Redis.
    const jobs = await metadata.jobs.list({});
    // The crawl's changes may be built by one job or split between the crawl's build and a worker
    // relay's (the crawl reports them all, and their counts add up to what it created).
    expect(crawled.crawl.featureJobIds.length).toBeGreaterThanOrEqual(1);
    const builds = jobs.filter((job) => job.name === 'feature.build').map((job) => job.id);
    expect(builds.sort()).toEqual([...crawled.crawl.featureJobIds].sort());
    const names = [...new Set(jobs.map((job) => `${job.queue}/${job.name}/${job.status}`))].sort();
    expect(names).toEqual([
      'feature/feature.build/completed',
      'feature/feature.crawl/completed',
      'inference/inference.batch/completed',
      'training/training.finetune/completed',
    ]);
    const [feature, training, inference] = started as [RunningTwin, RunningTwin, RunningTwin];
    for (const job of jobs) {
      const worker = job.queue === 'feature' ? feature : job.queue === 'training' ? training : inference;
      expect(worker.stderr(), `${job.name} on the ${job.queue} worker`).toContain(job.id);
    }
    expect(await countRedisKeys(prefix)).toBeGreaterThan(0);
  });

  it('stops every worker gracefully on SIGTERM', async () => {
    for (const worker of started) worker.child.kill('SIGTERM');
    const codes = await Promise.all(started.map((worker) => worker.exited));
    expect(codes, started.map((worker) => worker.stderr().slice(-3000)).join('\n---\n')).toEqual([0, 0, 0]);
  });
});
