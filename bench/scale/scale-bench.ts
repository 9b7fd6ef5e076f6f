import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPostgresUrl, testSchemas } from '../../core/adapters/postgres/postgres-test-database.ts';
import {
  deleteRedisKeys,
  openTestMetadata,
  openTestQueue,
  testPrefix,
  testRedisUrl,
} from '../../core/adapters/queue/bullmq-test-support.ts';
import { InProcessJobQueue } from '../../core/adapters/queue/in-process-job-queue.ts';
import { openSqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../../core/adapters/sqlite/sqlite-metadata-store.ts';
import { silentLogger } from '../../core/logger.ts';
import { startSampleSites } from '../../datasets/sample-author/serve-sample-sites.ts';
import { round } from '../measure.ts';
import { ingestWithWorkers, writeIngestConfig } from './ingest-with-workers.ts';
import { measureRoundTrips } from './queue-overhead.ts';
import { type OperationFigures, runStoreOperations } from './store-operations.ts';

/** Pages of the generated corpus on top of the sample author's own: enough for several builds. */
const benchPages = 96;
const roundTrips = 300;

/**
 * ingest: chunks/s of the outbox-driven feature builds with 1 and with 2 `twin worker feature`
 * processes (PostgreSQL metadata, BullMQ on Redis, one embedding thread per process);
 * queue: a BullMQ round trip per job against the in-process queue, same no-op job, same records;
 * stores: PostgreSQL against SQLite for the warehouse and registry operations the pipelines issue.
 */
export async function runScaleBench(): Promise<Record<string, unknown>> {
  const schemas = testSchemas();
  await schemas.assertReachable();
  const folder = mkdtempSync(join(tmpdir(), 'twin-bench-scale-'));
  const prefixes: string[] = [];
  try {
    const stores = await compareStores(schemas);
    const queue = await compareQueues(prefixes);
    const ingest = await compareWorkers(schemas, folder, prefixes);
    return { ingest, queue, stores };
  } finally {
    for (const prefix of prefixes) await deleteRedisKeys(prefix);
    await schemas.dropAll();
    rmSync(folder, { recursive: true, force: true });
  }
}

async function compareWorkers(schemas: ReturnType<typeof testSchemas>, folder: string, prefixes: string[]) {
  const sites = await startSampleSites({ benchPages });
  try {
    const runs = [];
    for (const workers of [1, 2]) {
      const schema = schemas.next();
      const prefix = testPrefix();
      prefixes.push(prefix);
      const config = join(folder, `ingest-${workers}.yaml`);
      writeIngestConfig(config, { postgresUrl: testPostgresUrl, schema, redisUrl: testRedisUrl, prefix });
      const store = schemas.store(schema);
      try {
        await store.migrate();
        process.stderr.write(`ingest with ${workers} worker process(es)…\n`);
        runs.push(
          await ingestWithWorkers(
            {
              config,
              dataDir: join(folder, `data-${workers}`),
              sitemap: sites.urls.benchSitemap as string,
              store,
            },
            workers,
          ),
        );
      } finally {
        await store.close();
      }
    }
    const [one, two] = runs as [(typeof runs)[number], (typeof runs)[number]];
    return { oneWorker: one, twoWorkers: two, speedup: round(two.chunksPerSecond / one.chunksPerSecond, 2) };
  } finally {
    await sites.close();
  }
}

async function compareQueues(prefixes: string[]) {
  const inProcessStore = await openTestMetadata();
  const inProcess = new InProcessJobQueue(inProcessStore.metadata.jobs, {
    concurrency: 1,
    logger: silentLogger,
  });
  const local = await measureRoundTrips(inProcess, roundTrips);
  await inProcess.close();
  await inProcessStore.close();

  const bullStore = await openTestMetadata();
  const prefix = testPrefix();
  prefixes.push(prefix);
  const bull = openTestQueue(bullStore.metadata, prefix, { attempts: 1, pollMs: 2 });
  const redis = await measureRoundTrips(bull, roundTrips, () =>
    bull.startWorkers('feature', { concurrency: 1 }),
  );
  await bull.close();
  await bullStore.close();
  return {
    inProcess: local,
    bullmq: redis,
    overheadPerJobMs: round(redis.msPerJob - local.msPerJob, 3),
    ratio: round(redis.msPerJob / local.msPerJob, 2),
  };
}

async function compareStores(schemas: ReturnType<typeof testSchemas>) {
  const folder = mkdtempSync(join(tmpdir(), 'twin-bench-sqlite-'));
  const database = openSqliteDatabase(join(folder, 'twin.db'));
  const sqlite = createSqliteMetadataStore(database);
  await sqlite.migrate();
  const postgres = schemas.store(schemas.next());
  await postgres.migrate();
  try {
    const onSqlite = await runStoreOperations(sqlite);
    const onPostgres = await runStoreOperations(postgres);
    const ratios: Record<string, number> = {};
    for (const [name, figure] of Object.entries(onPostgres)) {
      ratios[name] = round(figure.msPerOp / ((onSqlite as OperationFigures)[name]?.msPerOp ?? Number.NaN), 2);
    }
    return { sqlite: onSqlite, postgres: onPostgres, postgresOverSqlite: ratios };
  } finally {
    await sqlite.close();
    database.close();
    await postgres.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
