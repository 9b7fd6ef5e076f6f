/**
 * A writer process that dies at a chosen point of change data capture, by SIGKILL (no clean-up,
 * no finally blocks, connections dropped), like a worker killed by the OOM killer:
 * - `before-enqueue`: the documents and their outbox events are committed and a relay has claimed
 *   them, but the process dies before it tells the queue;
 * - `after-enqueue`: the queue has the feature build, but the process dies before the outbox
 *   events are marked drained.
 * Usage: tsx crash-while-draining.ts '<json store location>' <crash point> <document ids...>
 */
import { createPostgresMetadataStore } from '../../adapters/postgres/postgres-metadata-store.ts';
import { openTestQueue } from '../../adapters/queue/bullmq-test-support.ts';
import { InProcessJobQueue } from '../../adapters/queue/in-process-job-queue.ts';
import { queueWithEnqueue } from './queue-with-enqueue.ts';
import { openSqliteDatabase } from '../../adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../../adapters/sqlite/sqlite-metadata-store.ts';
import { sha256 } from '../../hashing.ts';
import { silentLogger } from '../../logger.ts';
import type { JobQueue } from '../../ports/job-queue.ts';
import { drainOutbox } from '../outbox-relay.ts';

/** Where the store is; with `redisPrefix` the job goes to BullMQ on the test Redis instead of in-process. */
type Location = ({ driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string; schema: string }) & {
  redisPrefix?: string;
};

const [locationJson, crashPoint, ...documentIds] = process.argv.slice(2);
const location = JSON.parse(locationJson ?? '{}') as Location;
const metadata =
  location.driver === 'sqlite'
    ? createSqliteMetadataStore(openSqliteDatabase(location.path))
    : createPostgresMetadataStore({ url: location.url, schema: location.schema, poolSize: 2 });
await metadata.migrate();
await metadata.documents.upsertAuthor('Ada Quill');
for (const id of documentIds) {
  const content = `What Ada wrote in ${id}.`;
  await metadata.documents.upsert(
    {
      id,
      authorId: 'ada-quill',
      platform: 'web',
      category: 'article',
      sourceUrl: `https://example.com/${id}`,
      canonicalUrl: null,
      title: id,
      content,
      contentHash: sha256(content),
      publishedAt: null,
      fetchedAt: '2026-03-01T00:00:00.000Z',
      metadata: {},
    },
    '2026-03-01T00:00:00.000Z',
  );
}

const real: JobQueue = location.redisPrefix
  ? openTestQueue(metadata, location.redisPrefix)
  : new InProcessJobQueue(metadata.jobs, { concurrency: 1, logger: silentLogger });
// The build would run in this process; it must not finish before the crash.
real.register('feature.build', () => new Promise(() => {}));
const crashing = queueWithEnqueue(real, async (name, payload, options) => {
  if (crashPoint === 'after-enqueue') {
    const record = await real.enqueue(name, payload, options);
    process.stdout.write(`${JSON.stringify({ enqueued: record.id })}\n`);
  }
  process.kill(process.pid, 'SIGKILL');
  return new Promise(() => {});
});
await drainOutbox({ outbox: metadata.outbox, queue: crashing });
process.stdout.write('not reached: the process should have died\n');
