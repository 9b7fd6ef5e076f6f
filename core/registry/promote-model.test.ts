import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../adapters/sqlite/sqlite-metadata-store.ts';
import { SqliteVecVectorStore } from '../adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import { contractFeatureSet } from '../contracts/vector-store-contract.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { ModelRegistry } from '../ports/model-registry.ts';
import { parseModelReference } from './model-reference.ts';
import { checkGate, promoteModel, rollbackModel } from './promote-model.ts';
import { resolveModel } from './resolve-model.ts';

describe('registry operations', () => {
  let database: SqliteDatabase;
  let store: MetadataStore;
  const register = (metrics: Record<string, number>, featureSetId: string | null = null) =>
    store.models.register({
      name: 'twin',
      backend: 'local',
      baseModel: null,
      hyperparameters: {},
      datasetId: null,
      featureSetId,
      parentVersion: null,
      metrics,
      lossCurve: [],
      artifact: { kind: 'local', key: 'models/twin/x', sha256: 'a'.repeat(64) },
      lossCurveKey: null,
      jobId: null,
      createdBy: 'test',
    });

  beforeEach(async () => {
    database = openSqliteDatabase(':memory:');
    store = createSqliteMetadataStore(database);
    await store.migrate();
    await register({ rougeL: 0.2 });
    await register({ rougeL: 0.3 });
    await register({ rougeL: 0.25 });
  });
  afterEach(async () => {
    await store.close();
    database.close();
  });

  it('parses references and refuses malformed ones', () => {
    expect(parseModelReference('twin')).toEqual({ name: 'twin', alias: 'production' });
    expect(parseModelReference('twin@staging')).toEqual({ name: 'twin', alias: 'staging' });
    expect(parseModelReference('twin:3')).toEqual({ name: 'twin', version: 3 });
    expect(() => parseModelReference('Twin:x')).toThrow(/invalid model reference/);
  });

  it('resolves aliases at call time and explains what is missing', async () => {
    await expect(resolveModel(store.models, 'twin')).rejects.toThrow(/twin@production is not set/);
    await expect(resolveModel(store.models, 'ghost')).rejects.toThrow(/model ghost not found/);
    await expect(resolveModel(store.models, 'twin:9')).rejects.toThrow(/twin:9 not found/);
    await promoteModel(store.models, { name: 'twin', version: 2, movedBy: 'ada' });
    expect((await resolveModel(store.models, 'twin')).version).toBe(2);
    expect((await resolveModel(store.models, 'twin:1')).version).toBe(1);
  });

  it('rolls back one step at a time, as a stack', async () => {
    await promoteModel(store.models, { name: 'twin', version: 1, movedBy: 'ada' });
    await promoteModel(store.models, { name: 'twin', version: 2, movedBy: 'ada' });
    await promoteModel(store.models, { name: 'twin', version: 3, movedBy: 'ada' });
    expect((await rollbackModel(store.models, { name: 'twin', movedBy: 'bob' })).toVersion).toBe(2);
    expect((await rollbackModel(store.models, { name: 'twin', movedBy: 'bob' })).toVersion).toBe(1);
    await expect(rollbackModel(store.models, { name: 'twin', movedBy: 'bob' })).rejects.toThrow(
      /no earlier version/,
    );
    const history = await store.models.aliasHistory('twin', 'production');
    expect(history[0]).toMatchObject({
      fromVersion: 2,
      toVersion: 1,
      movedBy: 'bob',
      reason: 'rollback from 2',
    });
    await expect(promoteModel(store.models, { name: 'twin', version: 1, movedBy: 'x' })).rejects.toThrow(
      /already points/,
    );
  });

  it('gates a promotion on the configured metric', async () => {
    const first = await checkGate(store.models, {
      name: 'twin',
      version: 1,
      metric: 'rougeL',
      higherIsBetter: true,
    });
    // A first promotion has no production value to beat: it needs its baseline, and passes by default never.
    expect(first).toMatchObject({ passed: false, current: null });
    expect(first.reason).toMatch(/no baseline\.rougeL to beat/);
    await store.models.updateMetrics('twin', 1, { 'baseline.rougeL': 0.25 });
    expect(
      await checkGate(store.models, { name: 'twin', version: 1, metric: 'rougeL', higherIsBetter: true }),
    ).toMatchObject({ passed: false, candidate: 0.2, current: 0.25 });
    await store.models.updateMetrics('twin', 1, { 'baseline.rougeL': 0.15 });
    const beaten = await checkGate(store.models, {
      name: 'twin',
      version: 1,
      metric: 'rougeL',
      higherIsBetter: true,
    });
    expect(beaten).toMatchObject({ passed: true, candidate: 0.2, current: 0.15 });
    expect(beaten.reason).toMatch(/beats its baseline's 0.1500/);
    await promoteModel(store.models, { name: 'twin', version: 2, movedBy: 'ada' });
    const worse = await checkGate(store.models, {
      name: 'twin',
      version: 3,
      metric: 'rougeL',
      higherIsBetter: true,
    });
    expect(worse).toMatchObject({ passed: false, candidate: 0.25, current: 0.3, currentVersion: 2 });
    expect(worse.reason).toMatch(/does not beat 0.3000 of twin:2/);
    const lower = await checkGate(store.models, {
      name: 'twin',
      version: 3,
      metric: 'rougeL',
      higherIsBetter: false,
    });
    expect(lower.passed).toBe(true);
    const missing = await checkGate(store.models, {
      name: 'twin',
      version: 3,
      metric: 'perplexity',
      higherIsBetter: false,
    });
    expect(missing).toMatchObject({ passed: false });
    expect(missing.reason).toMatch(/run `twin eval` first/);
  });

  describe('the serving vector alias follows production', () => {
    const first = { ...contractFeatureSet, id: 'fs_00000000000a' };
    const second = { ...contractFeatureSet, id: 'fs_00000000000b' };
    let vectors: SqliteVecVectorStore;
    beforeEach(async () => {
      vectors = new SqliteVecVectorStore(database);
      await vectors.ensureCollection(first);
      await vectors.ensureCollection(second);
      await register({}, first.id); // version 4
      await register({}, second.id); // version 5
      await register({}, null); // version 6
      await register({}, 'fs_0000000000cc'); // version 7: its features were never stored
    });

    it('promote and rollback move the vector alias with the model alias', async () => {
      await promoteModel(store.models, { name: 'twin', version: 4, movedBy: 'ada', vectors });
      expect(await vectors.servingFeatureSet()).toBe(first.id);
      await promoteModel(store.models, { name: 'twin', version: 5, movedBy: 'ada', vectors });
      expect(await vectors.servingFeatureSet()).toBe(second.id);
      // A version without a feature set leaves the serving vectors where they are.
      await promoteModel(store.models, { name: 'twin', version: 6, movedBy: 'ada', vectors });
      expect(await vectors.servingFeatureSet()).toBe(second.id);
      expect((await rollbackModel(store.models, { name: 'twin', movedBy: 'bob', vectors })).toVersion).toBe(
        5,
      );
      expect(await vectors.servingFeatureSet()).toBe(second.id);
      expect((await rollbackModel(store.models, { name: 'twin', movedBy: 'bob', vectors })).toVersion).toBe(
        4,
      );
      expect(await vectors.servingFeatureSet()).toBe(first.id);
    });

    it('other aliases do not move the serving vectors', async () => {
      await promoteModel(store.models, { name: 'twin', version: 4, movedBy: 'ada', vectors });
      await promoteModel(store.models, {
        name: 'twin',
        version: 5,
        alias: 'staging',
        movedBy: 'ada',
        vectors,
      });
      expect(await vectors.servingFeatureSet()).toBe(first.id);
    });

    it('refuses to serve a version whose feature set has no vectors, and moves nothing', async () => {
      await promoteModel(store.models, { name: 'twin', version: 4, movedBy: 'ada', vectors });
      await expect(
        promoteModel(store.models, { name: 'twin', version: 7, movedBy: 'ada', vectors }),
      ).rejects.toThrow(/twin:7 was trained on feature set fs_0000000000cc, which has no vectors/);
      expect((await store.models.getAlias('twin', 'production'))?.version).toBe(4);
      expect(await vectors.servingFeatureSet()).toBe(first.id);
    });

    it('puts the vector alias back when the registry move loses a race', async () => {
      await promoteModel(store.models, { name: 'twin', version: 4, movedBy: 'ada', vectors });
      // Another operator's promotion lands between our read of the alias and our move.
      const racing = new Proxy(store.models, {
        get(target, property) {
          if (property === 'moveAlias') {
            return async (move: Parameters<ModelRegistry['moveAlias']>[0]) => {
              await target.moveAlias({ ...move, toVersion: 6, movedBy: 'carol', reason: 'promote' });
              return target.moveAlias(move);
            };
          }
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      await expect(
        promoteModel(racing, { name: 'twin', version: 5, movedBy: 'ada', vectors }),
      ).rejects.toThrow();
      expect((await store.models.getAlias('twin', 'production'))?.version).toBe(6);
      expect(await vectors.servingFeatureSet()).toBe(first.id);
    });
  });
});
