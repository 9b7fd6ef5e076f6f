import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMetadataStoreContract } from '../../contracts/metadata-store-contract.ts';
import { sha256 } from '../../hashing.ts';
import type { NewModelVersion } from '../../ports/model-registry.ts';
import { migrationProvider } from '../sql/migrations.ts';
import type { SqlMetadataStore } from '../sql/sql-metadata-store.ts';
import { testSchemas } from './postgres-test-database.ts';

const schemas = testSchemas();
beforeAll(() => schemas.assertReachable());
afterAll(() => schemas.dropAll());

// A fresh schema per contract case: each case expects an empty store.
runMetadataStoreContract('postgres', async () => schemas.store(schemas.next()));

function version(jobId: string | null = null): NewModelVersion {
  return {
    name: 'twin',
    backend: 'local',
    baseModel: null,
    hyperparameters: {},
    datasetId: null,
    featureSetId: null,
    parentVersion: null,
    metrics: {},
    lossCurve: [],
    artifact: { kind: 'local', key: 'models/twin/x', sha256: 'f'.repeat(64) },
    lossCurveKey: null,
    jobId,
    createdBy: 'tester',
  };
}

describe('postgres metadata store under concurrent writers', () => {
  // Two stores with their own pools on one schema behave like two worker processes.
  let schema: string;
  let first: SqlMetadataStore;
  let second: SqlMetadataStore;
  beforeAll(async () => {
    schema = schemas.next();
    first = schemas.store(schema);
    second = schemas.store(schema);
    await first.migrate();
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('keeps every table in the configured schema', async () => {
    const { rows } = await schemas.query(
      `select table_name from information_schema.tables where table_schema = '${schema}' order by table_name`,
    );
    expect(rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['documents', 'kysely_migration', 'model_versions', 'outbox']),
    );
    const { rows: leaked } = await schemas.query(
      `select table_name from information_schema.tables where table_schema = 'public' and table_name = 'outbox'`,
    );
    expect(leaked).toEqual([]);
  });

  it('numbers versions registered at once from two pools distinctly and without gaps', async () => {
    const registered = await Promise.all(
      Array.from({ length: 16 }, (_, index) => (index % 2 === 0 ? first : second).models.register(version())),
    );
    expect(registered.map((entry) => entry.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 16 }, (_, index) => index + 1),
    );
    // The same fine-tune job registering twice at once still gets one version.
    const [once, twice] = await Promise.all([
      first.models.register(version('job-race')),
      second.models.register(version('job-race')),
    ]);
    expect(once.version).toBe(twice.version);
    expect((await first.models.list('twin')).filter((entry) => entry.jobId === 'job-race')).toHaveLength(1);
  });

  it('lets exactly one of two concurrent compare-and-set alias moves win', async () => {
    await first.models.moveAlias({ name: 'twin', alias: 'production', toVersion: 1, movedBy: 'setup' });
    for (let round = 0; round < 5; round += 1) {
      const current = (await first.models.getAlias('twin', 'production'))?.version ?? null;
      const outcomes = await Promise.allSettled([
        first.models.moveAlias({
          name: 'twin',
          alias: 'production',
          toVersion: 2 + (round % 3),
          movedBy: 'ada',
          expectedVersion: current,
        }),
        second.models.moveAlias({
          name: 'twin',
          alias: 'production',
          toVersion: 5 + (round % 3),
          movedBy: 'bob',
          expectedVersion: current,
        }),
      ]);
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(String((lost[0] as PromiseRejectedResult).reason)).toMatch(/someone else moved it/);
      const winner = (won[0] as PromiseFulfilledResult<{ toVersion: number | null }>).value;
      expect((await second.models.getAlias('twin', 'production'))?.version).toBe(winner.toVersion);
    }
    // The audit trail is one unbroken chain: each move starts where the previous one ended.
    const history = (await first.models.aliasHistory('twin', 'production')).reverse();
    expect(history).toHaveLength(6);
    for (let index = 1; index < history.length; index += 1) {
      expect(history[index]?.fromVersion).toBe(history[index - 1]?.toVersion);
    }
  });

  it('hands each outbox event to exactly one of several relays claiming at once', async () => {
    await first.documents.upsertAuthor('Ada Quill');
    for (let index = 0; index < 12; index += 1) {
      await first.documents.upsert(
        {
          id: `d${index}`,
          authorId: 'ada-quill',
          platform: 'web',
          category: 'article',
          sourceUrl: `https://example.com/${index}`,
          canonicalUrl: null,
          title: `Doc ${index}`,
          content: `text ${index}`,
          contentHash: sha256(`text ${index}`),
          publishedAt: null,
          fetchedAt: '2026-03-01T00:00:00.000Z',
          metadata: {},
        },
        '2026-03-01T00:00:00.000Z',
      );
    }
    const claimAll = async (store: SqlMetadataStore) => {
      const seen: string[] = [];
      for (;;) {
        const batch = await store.outbox.claim({
          topic: 'document.changed',
          limit: 2,
          leaseMs: 60_000,
          jobIdOf: (events) => events.map((event) => event.id).join('+'),
        });
        if (!batch) return seen;
        seen.push(...batch.events.map((event) => event.aggregateId));
        await store.outbox.markDrained(batch);
      }
    };
    const claimed = (await Promise.all([claimAll(first), claimAll(second), claimAll(first)])).flat();
    expect(claimed.sort()).toEqual(Array.from({ length: 12 }, (_, index) => `d${index}`).sort());
  });

  it('reports one creation and writes one outbox event when two workers store the same new document', async () => {
    await first.documents.upsertAuthor('Ada Quill');
    for (let round = 0; round < 5; round += 1) {
      const document = {
        id: `race-${round}`,
        authorId: 'ada-quill',
        platform: 'web' as const,
        category: 'article' as const,
        sourceUrl: `https://example.com/race-${round}`,
        canonicalUrl: null,
        title: 'Race',
        content: `same text ${round}`,
        contentHash: sha256(`same text ${round}`),
        publishedAt: null,
        fetchedAt: '2026-03-01T00:00:00.000Z',
        metadata: {},
      };
      const outcomes = await Promise.all([
        first.documents.upsert(document, '2026-03-01T00:00:00.000Z'),
        second.documents.upsert(document, '2026-03-01T00:00:00.000Z'),
      ]);
      expect(outcomes.sort()).toEqual(['created', 'unchanged']);
      expect(await first.outbox.list({ aggregateId: document.id })).toHaveLength(1);
    }
  });

  it('lists in byte order, as SQLite does, whatever collation the database uses', async () => {
    // A production database often sorts by a locale (ICU or en_US), which orders `_` before `-`.
    await schemas.query(
      `alter table "${schema}".model_aliases alter column alias type text collate "en-x-icu"`,
    );
    await first.models.moveAlias({ name: 'twin', alias: 'x_1', toVersion: 1, movedBy: 'ada' });
    await first.models.moveAlias({ name: 'twin', alias: 'x-1', toVersion: 1, movedBy: 'ada' });
    const { rows } = await schemas.query(
      `select alias from "${schema}".model_aliases where alias like 'x%' order by alias`,
    );
    expect(rows.map((row) => row.alias)).toEqual(['x_1', 'x-1']);
    const aliases = (await first.models.listAliases('twin')).map((alias) => alias.alias);
    expect(aliases.filter((alias) => alias.startsWith('x'))).toEqual(['x-1', 'x_1']);
  });

  it('migrates idempotently, also when two processes start at once', async () => {
    const fresh = schemas.next();
    const one = schemas.store(fresh);
    const two = schemas.store(fresh);
    try {
      const [applied, alsoApplied] = await Promise.all([one.migrate(), two.migrate()]);
      const all = Object.keys(await migrationProvider.getMigrations());
      expect([...applied, ...alsoApplied].sort()).toEqual(all.sort());
      expect(await one.migrate()).toEqual([]);
      const { rows } = await schemas.query(`select count(*)::int as count from "${fresh}".kysely_migration`);
      expect(rows[0]?.count).toBe(all.length);
      expect((await two.migrations()).every((migration) => migration.appliedAt !== null)).toBe(true);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
