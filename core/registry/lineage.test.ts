import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../adapters/sqlite/sqlite-metadata-store.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { NewModelVersion } from '../ports/model-registry.ts';
import type { ModelArtifact } from '../types/model-version.ts';
import { baselineVersion } from './baseline-version.ts';
import { lineageOf } from './lineage.ts';

const baseSha256 = 'b179c9523d0e'.padEnd(64, '0');
const adapterBase = {
  name: 'smollm2-135m-instruct',
  version: 1,
  path: '/models/smollm2.gguf',
  sha256: baseSha256,
};
const adapterArtifact = (base = adapterBase): ModelArtifact => ({
  kind: 'gguf-adapter',
  base,
  adapter: { path: '/models/twin-1.lora.gguf', sha256: 'a'.repeat(64) },
});
const version = (
  name: string,
  artifact: ModelArtifact,
  baseModel: string | null = null,
): NewModelVersion => ({
  name,
  backend: artifact.kind === 'gguf-adapter' ? 'lora' : 'gguf',
  baseModel,
  hyperparameters: {},
  datasetId: null,
  featureSetId: null,
  parentVersion: null,
  metrics: {},
  lossCurve: [],
  artifact,
  lossCurveKey: null,
  jobId: null,
  createdBy: 'test',
});

describe('lineage and baseline of a LoRA adapter version', () => {
  let database: SqliteDatabase;
  let store: MetadataStore;
  beforeEach(async () => {
    database = openSqliteDatabase(':memory:');
    store = createSqliteMetadataStore(database);
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    database.close();
  });

  it('names the GGUF base the adapter runs on, and whether it is still registered', async () => {
    const base = await store.models.register(
      version('smollm2-135m-instruct', { kind: 'gguf', path: '/models/smollm2.gguf', sha256: baseSha256 }),
    );
    // baseModel names another model: the adapter's own base wins, since that is what it runs on.
    const twin = await store.models.register(version('twin', adapterArtifact(), 'other-base'));
    const lineage = await lineageOf(store, 'twin', twin.version);
    expect(lineage.base).toEqual({ ...adapterBase, registered: true });
    expect(await baselineVersion(store.models, twin)).toEqual(base);
    const orphan = await store.models.register(
      version('twin', adapterArtifact({ ...adapterBase, version: 9 })),
    );
    expect((await lineageOf(store, 'twin', orphan.version)).base).toMatchObject({
      version: 9,
      registered: false,
    });
    expect(await baselineVersion(store.models, orphan)).toBeNull();
    const plain = await store.models.register(
      version('plain', { kind: 'gguf', path: '/m.gguf', sha256: null }),
    );
    expect((await lineageOf(store, 'plain', plain.version)).base).toBeNull();
  });
});
