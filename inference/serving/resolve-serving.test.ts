import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load-config.ts';
import type { NewModelVersion } from '../../core/ports/model-registry.ts';
import { type EmbeddedApiStores, openEmbeddedApiStores } from '../api/__fixtures__/embedded-api-stores.ts';
import { resolveServing } from './resolve-serving.ts';

const base = 'smollm2-135m-instruct';

describe('resolveServing', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-serving-'));
  let stores: EmbeddedApiStores;
  const version = (name: string, featureSetId: string | null): NewModelVersion => ({
    name,
    backend: 'gguf',
    baseModel: null,
    hyperparameters: {},
    datasetId: null,
    featureSetId,
    parentVersion: null,
    metrics: {},
    lossCurve: [],
    artifact: { kind: 'gguf', path: join(folder, `${name}.gguf`), sha256: null },
    lossCurveKey: null,
    jobId: null,
    createdBy: 'test',
  });

  beforeAll(async () => {
    stores = await openEmbeddedApiStores(folder, loadConfig({ env: {}, overrides: { dataDir: folder } }));
    await stores.storeChunks([['rollback', 'Rolling back is one alias move when every artifact is kept.']]);
  });
  afterAll(async () => {
    await stores?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves extractively while nothing is registered', async () => {
    expect((await resolveServing(stores.dependencies(), undefined)).version).toBeNull();
  });

  it('serves the newest pulled base model, over the current feature set, while twin has no production version', async () => {
    await stores.metadata.models.register(version(base, null));
    await stores.metadata.models.register(version(base, null));
    const serving = await resolveServing(stores.dependencies(), 'twin');
    expect(serving.version).toMatchObject({ name: base, version: 2 });
    expect(serving.featureSet.id).toBe(stores.featureSet.id);
    // server.baseModel null turns the fallback off; a named version never falls back.
    expect(
      (await resolveServing(stores.dependencies({ server: { baseModel: null } }), 'twin')).version,
    ).toBeNull();
    await expect(resolveServing(stores.dependencies(), 'twin:1')).rejects.toThrow(/twin:1 not found/);
  });

  it('serves the twin once a version holds production', async () => {
    const twin = await stores.metadata.models.register(version('twin', stores.featureSet.id));
    await stores.metadata.models.moveAlias({
      name: 'twin',
      alias: 'production',
      toVersion: twin.version,
      movedBy: 'test',
    });
    expect((await resolveServing(stores.dependencies(), undefined)).version).toMatchObject({ name: 'twin' });
  });
});
