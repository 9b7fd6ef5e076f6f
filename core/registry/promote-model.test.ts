import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../adapters/sqlite/sqlite-metadata-store.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import { parseModelReference } from './model-reference.ts';
import { checkGate, promoteModel, rollbackModel } from './promote-model.ts';
import { resolveModel } from './resolve-model.ts';

describe('registry operations', () => {
  let database: SqliteDatabase;
  let store: MetadataStore;
  const register = (metrics: Record<string, number>) =>
    store.models.register({
      name: 'twin',
      backend: 'local',
      baseModel: null,
      hyperparameters: {},
      datasetId: null,
      featureSetId: null,
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
    expect(first).toMatchObject({ passed: true, current: null });
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
});
