import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../core/adapters/embedders/create-embedder.ts';
import { InProcessJobQueue } from '../../core/adapters/queue/in-process-job-queue.ts';
import { openSqliteDatabase, type SqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../../core/adapters/sqlite/sqlite-metadata-store.ts';
import { SqliteVecVectorStore } from '../../core/adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import type { CrawlResult, FeatureBuildResult } from '../../core/jobs/job-contracts.ts';
import { silentLogger } from '../../core/logger.ts';
import { drainOutbox } from '../../core/outbox/outbox-relay.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import type { OutboxRepository } from '../../core/ports/outbox-repository.ts';
import { registerFeatureJobs } from './register-feature-jobs.ts';

/** Three distinct articles behind one feed; each test serves them with new text, so all three change. */
function site() {
  let round = 0;
  const page = (slug: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${slug} ${round}</title></head><body><article><h1>${slug} ${round}</h1><p>Round ${round}: ${slug} is a note about feature pipelines, change data capture and the outbox pattern, long enough to keep.</p><p>A second paragraph about ${slug} makes a second sentence for the chunker in round ${round}.</p></article></body></html>`;
  const slugs = ['alpha', 'beta', 'gamma'];
  let base = '';
  const server: Server = createServer((request, response) => {
    const slug = slugs.find((candidate) => request.url === `/${candidate}.html`);
    if (request.url === '/feed.xml') {
      const items = slugs.map(
        (name) => `<item><title>${name}</title><link>${base}/${name}.html</link></item>`,
      );
      response
        .writeHead(200, { 'content-type': 'application/rss+xml' })
        .end(
          `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${items.join('')}</channel></rss>`,
        );
    } else if (slug) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(slug));
    } else {
      response.writeHead(404).end();
    }
  });
  return {
    server,
    feed: () => `${base}/feed.xml`,
    nextRound: () => {
      round += 1;
    },
    listen: () =>
      new Promise<void>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          resolve();
        }),
      ),
  };
}

/** What a feature worker's relay does between the crawl's writes and the crawl's own drain. */
type Relay = (outbox: OutboxRepository, queue: InProcessJobQueue) => Promise<void>;

describe('a crawl reports every feature build of its changes, whoever enqueued it', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-crawl-builds-'));
  const pages = site();
  let database: SqliteDatabase;
  let metadata: MetadataStore;
  let embedder: Embedder;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    await pages.listen();
    config = loadConfig({
      env: {},
      overrides: {
        dataDir: folder,
        crawler: { allowLoopback: true, perHostDelayMs: 0, backoffMs: 1, retries: 1 },
        embedder: { provider: 'use-lite', workers: 1, batchSize: 16 },
        features: { minCharacters: 40, batchSize: 8 },
      },
    });
    database = openSqliteDatabase(join(folder, 'twin.db'));
    metadata = createSqliteMetadataStore(database);
    await metadata.migrate();
    embedder = await createEmbedder(config.embedder, { bulk: false, logger: silentLogger });
  });
  afterAll(async () => {
    await embedder.close();
    await metadata.close();
    database.close();
    pages.server.close();
    rmSync(folder, { recursive: true, force: true });
  });
  beforeEach(() => pages.nextRound());

  /**
   * Runs one crawl whose outbox lets `relay` go first: right before the crawl's own first claim,
   * as a feature worker polling at the wrong moment would.
   */
  async function crawlAfter(relay: Relay, buildFeatures = true) {
    const queue = new InProcessJobQueue(metadata.jobs, { concurrency: 1, logger: silentLogger });
    let relayed = false;
    const real = metadata.outbox;
    const outbox: OutboxRepository = {
      claim: async (options) => {
        if (!relayed) {
          relayed = true;
          await relay(real, queue);
        }
        return real.claim(options);
      },
      markDrained: (batch, at) => real.markDrained(batch, at),
      release: (batch) => real.release(batch),
      list: (filter) => real.list(filter),
      takeHeld: (options) => real.takeHeld(options),
      releaseHeld: () => real.releaseHeld(),
      prune: (before) => real.prune(before),
    };
    const view: MetadataStore = Object.assign(Object.create(metadata) as MetadataStore, { outbox });
    registerFeatureJobs({
      config,
      metadata: view,
      vectors: new SqliteVecVectorStore(database),
      embedder: async () => embedder,
      queue,
      logger: silentLogger,
    });
    try {
      const before = new Set((await metadata.jobs.list({ limit: 1000 })).map((record) => record.id));
      const job = await queue.enqueue('feature.crawl', {
        targets: [pages.feed()],
        authorName: 'Ada Quill',
        buildFeatures,
      });
      const crawled = await queue.waitFor(job.id);
      expect(crawled.status, crawled.error ?? '').toBe('completed');
      const crawl = crawled.result as CrawlResult;
      const reported = crawl.featureJobIds ?? [];
      const builds = await Promise.all(reported.map((id) => queue.waitFor(id)));
      const allBuilds = (await metadata.jobs.list({ limit: 1000 })).filter(
        (record) => record.name === 'feature.build' && !before.has(record.id),
      );
      // Whatever a relay would build of it now, with the crawl done.
      const relayedAfter = await drainOutbox({ outbox: real, queue });
      await Promise.all(relayedAfter.map((record) => queue.waitFor(record.id)));
      return { crawl, reported, builds, allBuilds, relayedAfter };
    } finally {
      await queue.close();
    }
  }

  /** Every changed document in exactly one reported build, every build completed and reported. */
  function expectEachDocumentBuiltOnce(result: Awaited<ReturnType<typeof crawlAfter>>) {
    const { crawl, reported, builds, allBuilds } = result;
    expect(crawl.updated + crawl.created).toBe(3);
    expect(allBuilds.map((record) => record.id).sort()).toEqual([...reported].sort());
    expect(builds.map((record) => record.status)).toEqual(builds.map(() => 'completed'));
    const built = builds.flatMap((record) => (record.payload as { documentIds: string[] }).documentIds);
    expect([...built].sort()).toEqual([...crawl.documentIds].sort());
    const results = builds.map((record) => record.result as FeatureBuildResult);
    expect(results.reduce((sum, entry) => sum + entry.processed, 0)).toBe(3);
    expect(results.reduce((sum, entry) => sum + entry.upToDate, 0)).toBe(0);
    expect(crawl.featureJobId).toBe(reported[0]);
  }

  it('with no relay in the way, the crawl enqueues and reports one build', async () => {
    const result = await crawlAfter(async () => {});
    expect(result.reported).toHaveLength(1);
    expectEachDocumentBuiltOnce(result);
  });

  it('reports the relay build when a worker relay took every change first', async () => {
    let relayJobs: string[] = [];
    const result = await crawlAfter(async (outbox, queue) => {
      relayJobs = (await drainOutbox({ outbox, queue })).map((job) => job.id);
    });
    expect(relayJobs).toHaveLength(1);
    expect(result.reported).toEqual(relayJobs);
    expectEachDocumentBuiltOnce(result);
  });

  it('reports both builds when the relay took some changes and the crawl the rest', async () => {
    let relayJobs: string[] = [];
    const result = await crawlAfter(async (outbox, queue) => {
      relayJobs = (await drainOutbox({ outbox, queue, batchSize: 1, maxBatches: 1 })).map((job) => job.id);
    });
    expect(relayJobs).toHaveLength(1);
    expect(result.reported).toHaveLength(2);
    expect(result.reported).toContain(relayJobs[0]);
    expectEachDocumentBuiltOnce(result);
  });

  it('waits for a relay that claimed the changes but has not enqueued their build yet', async () => {
    let publish: () => Promise<void> = async () => {};
    const real = metadata.outbox;
    const listed = real.list.bind(real);
    let published: Promise<void> | undefined;
    // The relay claims (recording the job id on the events) and publishes only once the crawl has
    // looked at the outbox and seen a job id with no job behind it.
    real.list = async (filter) => {
      const events = await listed(filter);
      published ??= publish();
      return events;
    };
    try {
      let relayJob = '';
      const result = await crawlAfter(async (outbox, queue) => {
        const batch = await outbox.claim({
          topic: 'document.changed',
          limit: 100,
          leaseMs: 60_000,
          jobIdOf: () => 'feature-build-slow-relay',
        });
        if (!batch) throw new Error('the relay found nothing to claim');
        relayJob = batch.jobId;
        publish = async () => {
          const documentIds = batch.events.map((event) => event.aggregateId);
          await queue.enqueue('feature.build', { documentIds }, { jobId: batch.jobId });
          await outbox.markDrained(batch);
        };
      });
      expect(published).toBeDefined();
      expect(result.reported).toEqual([relayJob]);
      expectEachDocumentBuiltOnce(result);
    } finally {
      real.list = listed;
    }
  });

  it('with buildFeatures: false, holds the changes: no relay builds them, and a feature build takes them', async () => {
    let relayJobs: string[] = [];
    const result = await crawlAfter(async (outbox, queue) => {
      relayJobs = (await drainOutbox({ outbox, queue })).map((job) => job.id);
    }, false);
    expect(result.crawl.updated + result.crawl.created).toBe(3);
    expect(result.reported).toEqual([]);
    expect(result.crawl.featureJobId).toBeNull();
    // Neither a relay racing the crawl nor one after it built anything.
    expect(relayJobs).toEqual([]);
    expect(result.relayedAfter).toEqual([]);
    expect(result.allBuilds).toEqual([]);
    const held = await metadata.outbox.list({ pending: true, aggregateIds: result.crawl.documentIds });
    expect(held).toHaveLength(3);
    expect(held.every((event) => event.heldAt !== null && event.jobId === null)).toBe(true);

    // `twin features build`: one build over every document takes them.
    const queue = new InProcessJobQueue(metadata.jobs, { concurrency: 1, logger: silentLogger });
    registerFeatureJobs({
      config,
      metadata,
      vectors: new SqliteVecVectorStore(database),
      embedder: async () => embedder,
      queue,
      logger: silentLogger,
    });
    try {
      const job = await queue.enqueue('feature.build', {});
      const built = await queue.waitFor(job.id);
      expect(built.status).toBe('completed');
      expect((built.result as FeatureBuildResult).processed).toBe(3);
      const taken = await metadata.outbox.list({ aggregateIds: result.crawl.documentIds });
      expect(taken.filter((event) => event.heldAt !== null).map((event) => event.jobId)).toEqual([
        job.id,
        job.id,
        job.id,
      ]);
      expect(await metadata.outbox.list({ pending: true })).toEqual([]);
      expect(await drainOutbox({ outbox: metadata.outbox, queue })).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});
