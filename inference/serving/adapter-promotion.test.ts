import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load-config.ts';
import { type TinyAdapters, writeTinyAdapters } from '../../core/models/__fixtures__/write-tiny-adapters.ts';
import { sharedGgufModelCache } from '../../core/models/gguf-model-cache.ts';
import type { NewModelVersion } from '../../core/ports/model-registry.ts';
import { ggufAdapterArtifact } from '../../core/registry/gguf-adapter-artifact.ts';
import { promoteModel, rollbackModel } from '../../core/registry/promote-model.ts';
import type { ModelArtifact, ModelVersion } from '../../core/types/model-version.ts';
import { type EmbeddedApiStores, openEmbeddedApiStores } from '../api/__fixtures__/embedded-api-stores.ts';
import { createApp } from '../api/create-app.ts';

// node-llama-cpp is an optional dependency.
const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

/**
 * LoRA adapter versions served by the real API and llama.cpp: the tiny base says "boring", its
 * adapters make it say "sunny" and "quiet" (see writeTinyAdapters). Alias moves change the answer
 * at the next request, as they do for every other kind of version.
 */
describe.runIf(installed)('serving LoRA adapter versions', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-adapter-serving-'));
  let stores: EmbeddedApiStores;
  let tiny: TinyAdapters;
  let base: ModelVersion;
  const version = (name: string, artifact: ModelArtifact, featureSetId: string | null): NewModelVersion => ({
    name,
    backend: artifact.kind === 'gguf-adapter' ? 'lora' : 'gguf',
    baseModel: artifact.kind === 'gguf-adapter' ? `${artifact.base.name}:${artifact.base.version}` : null,
    hyperparameters: {},
    datasetId: null,
    featureSetId,
    parentVersion: null,
    metrics: {},
    lossCurve: [],
    artifact,
    lossCurveKey: null,
    jobId: null,
    createdBy: 'test',
  });

  beforeAll(async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: folder, models: { threads: 1 } } });
    stores = await openEmbeddedApiStores(folder, config);
    await stores.storeChunks([['weather', 'Bergen has rain on most days of the year, and nobody minds.']]);
    tiny = await writeTinyAdapters(folder);
    const { models } = stores.metadata;
    // Pulled base models are registered with no feature set (registerGgufBaseModel).
    base = await models.register(version('tiny-base', { kind: 'gguf', ...tiny.base }, null));
    const featureSetId = stores.featureSet.id;
    // twin:1 is the bare base, twin:2 and twin:3 its adapters.
    await models.register(version('twin', { kind: 'gguf', ...tiny.base }, featureSetId));
    for (const adapter of [tiny.sunny, tiny.quiet])
      await models.register(version('twin', await ggufAdapterArtifact(base, adapter.path), featureSetId));
  });
  afterAll(async () => {
    await stores?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('promotes between adapters and rolls back to the bare base without a restart, on one loaded base', async () => {
    const { app } = createApp(stores.dependencies({ server: { baseModel: 'tiny-base' } }));
    const ask = async () => {
      const response = await app.request('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'twin',
          messages: [{ role: 'user', content: 'How is the weather in Bergen?' }],
          max_tokens: 2,
          temperature: 0,
        }),
      });
      const body = await response.json();
      return [
        response.status,
        body.twin?.model_version ?? body.error?.message,
        body.choices?.[0].message.content,
      ];
    };
    const models = stores.metadata.models;
    const move = { name: 'twin', movedBy: 'test', vectors: stores.vectors };
    const loadsBefore = sharedGgufModelCache.loads;

    // No production version yet: the pulled base answers.
    expect(await ask()).toEqual([200, 'tiny-base:1', 'boring boring']);
    await promoteModel(models, { ...move, version: 1 });
    expect(await ask()).toEqual([200, 'twin:1', 'boring boring']);
    await promoteModel(models, { ...move, version: 2 });
    expect(await ask()).toEqual([200, 'twin:2', 'sunny sunny']);
    await promoteModel(models, { ...move, version: 3 });
    expect(await ask()).toEqual([200, 'twin:3', 'quiet quiet']);
    await rollbackModel(models, move);
    expect(await ask()).toEqual([200, 'twin:2', 'sunny sunny']);
    await rollbackModel(models, move);
    expect(await ask()).toEqual([200, 'twin:1', 'boring boring']);
    // Five versions served (two generators cached at a time), one base file loaded.
    expect(sharedGgufModelCache.loads - loadsBefore).toBe(1);
  });

  it('answers a promoted adapter whose base file is not the one it was trained on with a clear error, and serves again after rollback', async () => {
    const { app } = createApp(stores.dependencies());
    const models = stores.metadata.models;
    const forged = 'f'.repeat(64);
    // Recorded as trained on a base with other bytes at the same path.
    const artifact = await ggufAdapterArtifact(base, tiny.sunny.path);
    const wrong = await models.register(
      version('twin', { ...artifact, base: { ...artifact.base, sha256: forged } }, stores.featureSet.id),
    );
    const move = { name: 'twin', movedBy: 'test', vectors: stores.vectors };
    await promoteModel(models, { ...move, version: wrong.version });
    const ask = () =>
      app.request('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'twin',
          messages: [{ role: 'user', content: 'Weather?' }],
          max_tokens: 2,
        }),
      });
    const refused = await ask();
    expect(refused.status).toBe(400);
    expect((await refused.json()).error.message).toBe(
      `the file of base model tiny-base:1, ${tiny.base.path}, has sha256 ${tiny.base.sha256}, but its LoRA adapter was trained on ${forged}: refusing to serve the adapter on another base (put the original file back, or train the adapter again on this one)`,
    );
    await rollbackModel(models, move);
    const served = await ask();
    expect(served.status).toBe(200);
    expect((await served.json()).choices[0].message.content).toBe('boring boring');
  });
});
