import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testPostgresUrl, testSchemas } from '../adapters/postgres/postgres-test-database.ts';
import { deleteRedisKeys, openTestQueue, testPrefix } from '../adapters/queue/bullmq-test-support.ts';
import { InProcessJobQueue } from '../adapters/queue/in-process-job-queue.ts';
import { openSqliteDatabase } from '../adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../adapters/sqlite/sqlite-metadata-store.ts';
import { sha256 } from '../hashing.ts';
import { silentLogger } from '../logger.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { RawDocument } from '../types/raw-document.ts';
import { queueWithEnqueue } from './__fixtures__/queue-with-enqueue.ts';
import { drainOutbox, startOutboxRelay } from './outbox-relay.ts';

const fixture = resolve(import.meta.dirname, '__fixtures__/crash-while-draining.ts');
const leaseMs = 5 * 60_000;

type Opened = { metadata: MetadataStore; exec(statement: string): Promise<void>; close(): Promise<void> };
type Engine = {
  name: string;
  /** A fresh, empty database location, as the child process understands it. */
  location(): Record<string, string>;
  open(location: Record<string, string>): Promise<Opened>;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
};

const folder = mkdtempSync(join(tmpdir(), 'twin-outbox-'));
let files = 0;
const sqlite: Engine = {
  name: 'sqlite',
  location: () => ({ driver: 'sqlite', path: join(folder, `twin-${files++}.db`) }),
  async open(location) {
    const database = openSqliteDatabase(location.path as string);
    const metadata = createSqliteMetadataStore(database);
    await metadata.migrate();
    return {
      metadata,
      exec: async (statement) => void database.exec(statement),
      close: async () => {
        await metadata.close();
        database.close();
      },
    };
  },
  setUp: async () => {},
  tearDown: async () => rmSync(folder, { recursive: true, force: true }),
};

const schemas = testSchemas();
const postgres: Engine = {
  name: 'postgres',
  location: () => ({ driver: 'postgres', url: testPostgresUrl, schema: schemas.next() }),
  async open(location) {
    const metadata = schemas.store(location.schema as string);
    await metadata.migrate();
    return {
      metadata,
      exec: async (statement) => void (await schemas.query(statement)),
      close: () => metadata.close(),
    };
  },
  setUp: () => schemas.assertReachable(),
  tearDown: () => schemas.dropAll(),
};

/** Runs the writer that SIGKILLs itself at `crashPoint`; resolves with how it ended and what it said. */
function crashWriter(
  location: Record<string, string | undefined>,
  crashPoint: string,
  documentIds: string[],
) {
  return new Promise<{ signal: NodeJS.Signals | null; stdout: string }>((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fixture, JSON.stringify(location), crashPoint, ...documentIds],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', fail);
    child.on('exit', (_code, signal) => done({ signal, stdout }));
  });
}

const emptyBuild = {
  featureSetId: 'fs_test',
  documents: 0,
  processed: 0,
  upToDate: 0,
  rejected: [],
  chunks: 0,
  durationMs: 0,
  embedMs: 0,
};

/** A real in-process queue whose feature build records what it was asked to build. */
function recordingQueue(metadata: MetadataStore) {
  const queue = new InProcessJobQueue(metadata.jobs, { concurrency: 1, logger: silentLogger });
  const builds: string[][] = [];
  queue.register('feature.build', async (payload) => {
    builds.push([...(payload.documentIds ?? [])].sort());
    return {
      featureSetId: 'fs_test',
      documents: payload.documentIds?.length ?? 0,
      processed: payload.documentIds?.length ?? 0,
      upToDate: 0,
      rejected: [],
      chunks: 0,
      durationMs: 0,
      embedMs: 0,
    };
  });
  return { queue, builds };
}

function article(id: string, content: string): RawDocument {
  return {
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
  };
}

const afterTheLease = () => new Date(Date.now() + leaseMs + 60_000);

async function featureBuildRecords(metadata: MetadataStore) {
  return (await metadata.jobs.list({ queue: 'feature', limit: 1000 })).filter(
    (record) => record.name === 'feature.build',
  );
}

for (const engine of [sqlite, postgres]) {
  describe(`outbox change data capture survives crashes: ${engine.name}`, () => {
    beforeAll(() => engine.setUp());
    afterAll(() => engine.tearDown());

    it('a relay killed before enqueueing loses nothing: a fresh relay builds exactly those documents, once', async () => {
      const location = engine.location();
      const crashed = await crashWriter(location, 'before-enqueue', ['d1', 'd2']);
      expect(crashed.signal).toBe('SIGKILL');
      expect(crashed.stdout).not.toContain('not reached');

      const { metadata, close } = await engine.open(location);
      const { queue, builds } = recordingQueue(metadata);
      try {
        expect((await metadata.documents.list()).map((document) => document.id).sort()).toEqual(['d1', 'd2']);
        const pending = await metadata.outbox.list({ pending: true });
        expect(pending.map((event) => event.aggregateId).sort()).toEqual(['d1', 'd2']);
        const jobId = pending[0]?.jobId;
        expect(jobId).toMatch(/^feature-build-/);
        expect(await featureBuildRecords(metadata)).toEqual([]);

        // While the dead relay's lease runs, nobody else publishes its batch.
        expect(await drainOutbox({ outbox: metadata.outbox, queue })).toEqual([]);
        const [job, ...more] = await drainOutbox({ outbox: metadata.outbox, queue, now: afterTheLease });
        expect(more).toEqual([]);
        expect(job?.id).toBe(jobId);
        expect((await queue.waitFor(jobId as string)).status).toBe('completed');
        expect(builds).toEqual([['d1', 'd2']]);

        expect(await drainOutbox({ outbox: metadata.outbox, queue, now: afterTheLease })).toEqual([]);
        expect(await metadata.outbox.list({ pending: true })).toEqual([]);
        expect((await featureBuildRecords(metadata)).map((record) => record.id)).toEqual([jobId]);
      } finally {
        await queue.close();
        await close();
      }
    });

    it('a relay killed after enqueueing but before marking drained does not cause a second job', async () => {
      const location = engine.location();
      const crashed = await crashWriter(location, 'after-enqueue', ['d3', 'd4', 'd5']);
      expect(crashed.signal).toBe('SIGKILL');
      const enqueued = (JSON.parse(crashed.stdout.split('\n')[0] ?? '{}') as { enqueued?: string }).enqueued;
      expect(enqueued).toMatch(/^feature-build-/);

      const { metadata, close } = await engine.open(location);
      const { queue, builds } = recordingQueue(metadata);
      try {
        // The queue has the job; the outbox still says "pending", under that same job id.
        expect((await featureBuildRecords(metadata)).map((record) => record.id)).toEqual([enqueued]);
        const pending = await metadata.outbox.list({ pending: true });
        expect(pending.map((event) => [event.aggregateId, event.jobId])).toEqual([
          ['d3', enqueued],
          ['d4', enqueued],
          ['d5', enqueued],
        ]);

        const jobs = await drainOutbox({ outbox: metadata.outbox, queue, now: afterTheLease });
        expect(jobs.map((job) => job.id)).toEqual([enqueued]);
        expect((await queue.waitFor(enqueued as string)).status).toBe('completed');
        expect(builds).toEqual([['d3', 'd4', 'd5']]);
        expect((await featureBuildRecords(metadata)).map((record) => record.id)).toEqual([enqueued]);
        expect(await metadata.outbox.list({ pending: true })).toEqual([]);
      } finally {
        await queue.close();
        await close();
      }
    });

    it('on BullMQ, the re-enqueue after a crash between enqueueing and marking is deduped: one job, one build', async () => {
      const prefix = testPrefix();
      const location = { ...engine.location(), redisPrefix: prefix };
      const crashed = await crashWriter(location, 'after-enqueue', ['b1', 'b2']);
      expect(crashed.signal).toBe('SIGKILL');
      const enqueued = (JSON.parse(crashed.stdout.split('\n')[0] ?? '{}') as { enqueued?: string }).enqueued;

      const { metadata, close } = await engine.open(location);
      const queue = openTestQueue(metadata, prefix);
      const builds: string[][] = [];
      queue.register('feature.build', async (payload) => {
        builds.push([...(payload.documentIds ?? [])].sort());
        return { ...emptyBuild, documents: builds.length };
      });
      try {
        const bull = queue.queue('feature');
        expect((await bull.getJobs(['waiting'])).map((job) => job.id)).toEqual([enqueued]);
        const jobs = await drainOutbox({ outbox: metadata.outbox, queue, now: afterTheLease });
        expect(jobs.map((job) => job.id)).toEqual([enqueued]);
        // Still one job in Redis: the queue recognised the id in flight.
        expect((await bull.getJobs(['waiting', 'active', 'delayed'])).map((job) => job.id)).toEqual([
          enqueued,
        ]);
        await queue.startWorkers('feature', { concurrency: 1 });
        expect((await queue.waitFor(enqueued as string)).status).toBe('completed');
        expect(builds).toEqual([['b1', 'b2']]);
        expect(await metadata.outbox.list({ pending: true })).toEqual([]);
      } finally {
        await queue.close();
        await close();
        await deleteRedisKeys(prefix);
      }
    });

    it('a queue that refuses the job leaves the batch pending, and the retry reuses its job id', async () => {
      const { metadata, close } = await engine.open(engine.location());
      const { queue, builds } = recordingQueue(metadata);
      const down = queueWithEnqueue(queue, async () => {
        throw new Error('queue unreachable');
      });
      try {
        await metadata.documents.upsertAuthor('Ada Quill');
        await metadata.documents.upsert(article('d6', 'Six.'), '2026-03-01T00:00:00.000Z');
        await expect(drainOutbox({ outbox: metadata.outbox, queue: down })).rejects.toThrow(/unreachable/);
        const [pending] = await metadata.outbox.list({ pending: true });
        expect(pending?.aggregateId).toBe('d6');
        // Released at once: no need to wait out the lease.
        const [job] = await drainOutbox({ outbox: metadata.outbox, queue });
        expect(job?.id).toBe(pending?.jobId);
        await queue.waitFor(job?.id as string);
        expect(builds).toEqual([['d6']]);
      } finally {
        await queue.close();
        await close();
      }
    });

    it('a document write whose outbox insert fails leaves neither the document nor the event', async () => {
      const location = engine.location();
      const { metadata, exec, close } = await engine.open(location);
      try {
        await metadata.documents.upsertAuthor('Ada Quill');
        await metadata.documents.upsert(article('d7', 'Seven.'), '2026-03-01T00:00:00.000Z');
        // Break the outbox in the database itself, after the document row is written.
        if (engine.name === 'sqlite') {
          await exec(
            `create trigger outbox_down before insert on outbox begin select raise(abort, 'outbox down'); end`,
          );
        } else {
          const schema = location.schema as string;
          await exec(
            `create function "${schema}".outbox_down() returns trigger language plpgsql as $$ begin raise exception 'outbox down'; end $$`,
          );
          await exec(
            `create trigger outbox_down before insert on "${schema}".outbox for each row execute function "${schema}".outbox_down()`,
          );
        }
        await expect(
          metadata.documents.upsert(article('d8', 'Eight.'), '2026-03-01T00:00:00.000Z'),
        ).rejects.toThrow(/outbox down/);
        await expect(
          metadata.documents.upsert(article('d7', 'Seven, revised.'), '2026-03-02T00:00:00.000Z'),
        ).rejects.toThrow(/outbox down/);
        expect(await metadata.documents.get('d8')).toBeNull();
        expect((await metadata.documents.get('d7'))?.content).toBe('Seven.');
        expect((await metadata.outbox.list()).map((event) => event.aggregateId)).toEqual(['d7']);
        // An unchanged document writes no event, so it is unaffected.
        expect(await metadata.documents.upsert(article('d7', 'Seven.'), '2026-03-03T00:00:00.000Z')).toBe(
          'unchanged',
        );
      } finally {
        await close();
      }
    });
  });
}

describe('startOutboxRelay', () => {
  it('keeps draining until stopped, and a failed pass does not stop it', async () => {
    const database = openSqliteDatabase(':memory:');
    const metadata = createSqliteMetadataStore(database);
    await metadata.migrate();
    const { queue, builds } = recordingQueue(metadata);
    let refusals = 1;
    const flaky = queueWithEnqueue(queue, (name, payload, options) => {
      if (refusals-- > 0) return Promise.reject(new Error('queue unreachable'));
      return queue.enqueue(name, payload, options);
    });
    const relay = startOutboxRelay({ outbox: metadata.outbox, queue: flaky, intervalMs: 5 });
    try {
      await metadata.documents.upsertAuthor('Ada Quill');
      await metadata.documents.upsert(article('p1', 'Polled one.'), '2026-03-01T00:00:00.000Z');
      await vi.waitFor(() => expect(builds).toEqual([['p1']]), { timeout: 10_000, interval: 10 });
      await metadata.documents.upsert(article('p2', 'Polled two.'), '2026-03-01T00:00:00.000Z');
      await vi.waitFor(() => expect(builds).toEqual([['p1'], ['p2']]), { timeout: 10_000, interval: 10 });
      expect(refusals).toBeLessThan(0);
    } finally {
      await relay.stop();
      await queue.close();
      await metadata.close();
      database.close();
    }
  });
});
