import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startTwin } from '../../cli/test-support/start-twin.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import { round } from '../measure.ts';

const run = promisify(execFile);
const bin = resolve(import.meta.dirname, '../../bin/twin.js');

export type IngestSetup = {
  /** A scale-out config file (PostgreSQL metadata, BullMQ queue) for this run. */
  config: string;
  dataDir: string;
  /** The sitemap of the corpus to ingest. */
  sitemap: string;
  store: MetadataStore;
};

/** Resident memory of a process in MB, from /proc (0 when it has exited). */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Ingests a crawled corpus with `workers` feature worker processes: the crawl fills the warehouse
 * (and the outbox) first, then the workers start, relay the outbox into feature builds and run
 * them. Throughput is chunks over the span from the first build's start to the last one's end, read
 * from the job records, so process start-up is not counted.
 */
export async function ingestWithWorkers(setup: IngestSetup, workers: number) {
  const twinArgs = ['--config', setup.config, '--data-dir', setup.dataDir];
  // The crawl runs on an in-process queue (same stores), so only the feature builds go to workers.
  await run(
    process.execPath,
    [bin, ...twinArgs, 'crawl', setup.sitemap, '--author', 'Noor Halvorsen', '--no-features'],
    {
      env: { ...process.env, TWIN_STORES__QUEUE: '{driver: in-process, concurrency: 1}', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  // --no-features held the crawl's changes; released, the workers' relays spread them over builds.
  await setup.store.outbox.releaseHeld();
  const documents = (await setup.store.documents.list({})).length;
  const started = Array.from({ length: workers }, () => startTwin([...twinArgs, 'worker', 'feature']));
  let peakRssMb = 0;
  try {
    const deadline = performance.now() + 15 * 60_000;
    for (;;) {
      peakRssMb = Math.max(
        peakRssMb,
        started.reduce((sum, worker) => sum + rssMb(worker.child.pid), 0),
      );
      const builds = (await setup.store.jobs.list({ queue: 'feature' })).filter(
        (job) => job.name === 'feature.build',
      );
      const pending = (await setup.store.outbox.list({ pending: true })).length;
      const done = builds.length > 0 && pending === 0 && builds.every((job) => job.status === 'completed');
      if (done) {
        const chunks = builds.reduce(
          (sum, job) => sum + ((job.result as { chunks?: number }).chunks ?? 0),
          0,
        );
        const first = Math.min(...builds.map((job) => Date.parse(job.startedAt as string)));
        const last = Math.max(...builds.map((job) => Date.parse(job.finishedAt as string)));
        const seconds = (last - first) / 1000;
        return {
          workers,
          documents,
          builds: builds.length,
          chunks,
          seconds: round(seconds, 2),
          chunksPerSecond: round(chunks / seconds, 2),
          peakRssMb: round(peakRssMb, 1),
        };
      }
      const failed = builds.find((job) => job.status === 'failed' || job.status === 'cancelled');
      if (failed) throw new Error(`feature build ${failed.id} ${failed.status}: ${failed.error}`);
      if (performance.now() > deadline) throw new Error('ingest did not finish within 15 minutes');
      await sleep(200);
    }
  } finally {
    for (const worker of started) worker.child.kill('SIGTERM');
    await Promise.all(started.map((worker) => worker.exited));
  }
}

/** Writes the scale-out config for one ingest run. */
export function writeIngestConfig(
  path: string,
  stores: { postgresUrl: string; schema: string; redisUrl: string; prefix: string },
) {
  writeFileSync(
    path,
    [
      'logLevel: warn',
      'crawler: { allowLoopback: true, perHostDelayMs: 0, perHostConcurrency: 8 }',
      // One embedding thread per worker process, so one process is one core's worth of work.
      'embedder: { provider: use-lite, workers: 1, batchSize: 32 }',
      'features: { changeCapture: { batchSize: 8, pollIntervalMs: 200 } }',
      'stores:',
      `  metadata: { driver: postgres, url: "${stores.postgresUrl}", schema: ${stores.schema}, poolSize: 4 }`,
      `  queue: { driver: bullmq, url: "${stores.redisUrl}", prefix: ${stores.prefix}, concurrency: 1, attempts: 3, backoffMs: 500, stalledIntervalMs: 5000, lockDurationMs: 30000 }`,
      '',
    ].join('\n'),
  );
}
