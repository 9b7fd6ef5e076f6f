import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load-config.ts';
import { fileSha256 } from '../../core/hashing.ts';
import { silentLogger } from '../../core/logger.ts';
import type { FineTuneContext, FineTuneRequest } from '../../core/ports/fine-tune-backend.ts';
import { registerGgufBaseModel } from '../../core/registry/register-gguf-base-model.ts';
import { resolveBaseModel } from '../../core/registry/resolve-base-model.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import {
  openTestStores,
  registerFeatureSet,
  storeSampleDocuments,
  type TestStores,
} from '../datasets/__fixtures__/dataset-test-stores.ts';
import { buildDataset } from '../datasets/build-dataset.ts';
import { loadDatasetExamples } from '../datasets/load-dataset-examples.ts';
import { runFineTune } from '../fine-tune/run-fine-tune.ts';
import { comparePosition, summarise } from './lora/__fixtures__/distribution-agreement.ts';
import { LlamaCppReference } from './lora/__fixtures__/llama-cpp-reference.ts';
import { tensorSource, writeTinyLlamaGguf } from './lora/__fixtures__/write-tiny-llama-gguf.ts';
import { parseLlamaConfig } from './lora/llama-config.ts';
import { LlamaModel } from './lora/llama-model.ts';
import { logSoftmax } from './lora/log-softmax.ts';
import { LoraAdapters } from './lora/lora-adapters.ts';
import { parseLoraHyperparameters } from './lora/lora-hyperparameters.ts';
import { parentAdapterValues } from './lora/parent-adapter-values.ts';
import { LoraFineTuneBackend } from './lora-fine-tune-backend.ts';

const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

// Small and quick on the tiny model: 4 steps of 2 examples cut to 320 byte-level tokens (the
// twin's system prompt alone takes about 200).
const hyperparameters = {
  steps: 4,
  batchSize: 2,
  rank: 4,
  alpha: 8,
  learningRate: 0.01,
  maxSequenceTokens: 320,
  evalEvery: 2,
  checkpointEvery: 2,
  maxValidationRows: 2,
  dropout: 0.1,
};

describe.runIf(installed)('LoraFineTuneBackend on a tiny random llama', () => {
  let stores: TestStores;
  let folder: string;
  let basePath: string;
  let tiny: Awaited<ReturnType<typeof writeTinyLlamaGguf>>;
  let base: ModelVersion;
  let request: Omit<FineTuneRequest, 'jobId'>;
  let backend: LoraFineTuneBackend;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-lora-backend-'));
    basePath = join(folder, 'tiny-llama.gguf');
    tiny = await writeTinyLlamaGguf(basePath);
    stores = await openTestStores();
    const featureSet = await registerFeatureSet(stores.metadata);
    await storeSampleDocuments(stores.metadata, featureSet.id);
    const built = await buildDataset(
      { featureSetId: featureSet.id, kind: 'instruction', generator: 'offline' },
      {
        metadata: stores.metadata,
        artifacts: stores.artifacts,
        config: loadConfig({ env: {} }).training,
        logger: silentLogger,
      },
    );
    ({ version: base } = await registerGgufBaseModel(stores.metadata.models, {
      name: 'tiny-llama',
      path: basePath,
      sha256: await fileSha256(basePath),
      origin: { source: `file:${basePath}` },
      createdBy: 'test',
    }));
    backend = new LoraFineTuneBackend({
      resolveBase: (reference) => resolveBaseModel(stores.metadata.models, reference ?? 'tiny-llama'),
    });
    request = {
      modelName: 'twin',
      dataset: built.dataset,
      examples: await loadDatasetExamples(stores.artifacts, built.dataset, 'instruction'),
      baseModel: null,
      parent: null,
      hyperparameters: backend.parseHyperparameters(hyperparameters),
    };
  }, 120_000);
  afterAll(async () => {
    await stores?.close();
    await rm(folder, { recursive: true, force: true });
  });

  const contextFor = (logs: string[], signal = new AbortController().signal): FineTuneContext => ({
    artifacts: stores.artifacts,
    logger: silentLogger,
    signal,
    progress: async () => {},
    log: async (message) => {
      logs.push(message);
    },
  });

  it('registers an adapter on its base that llama.cpp serves exactly as the trainer computes it', async () => {
    const result = await runFineTune(
      {
        datasetId: request.dataset.id,
        backend: 'lora',
        modelName: 'twin',
        baseModel: null,
        parentVersion: null,
        hyperparameters,
        requestedBy: 'test',
      },
      {
        jobId: 'ft_lora',
        progress: async () => {},
        log: async () => {},
        signal: new AbortController().signal,
      },
      {
        config: loadConfig({ env: {} }),
        metadata: stores.metadata,
        artifacts: stores.artifacts,
        queue: undefined as never,
        logger: silentLogger,
        backends: { lora: backend },
      },
    );
    const version = (await stores.metadata.models.get('twin', result.version)) as ModelVersion;
    expect(version.backend).toBe('lora');
    expect(version.baseModel).toBe(`tiny-llama:${base.version}`);
    expect(version.artifact).toMatchObject({
      kind: 'gguf-adapter',
      base: { name: 'tiny-llama', version: base.version, path: basePath, sha256: await fileSha256(basePath) },
      adapter: { path: stores.artifacts.locate('models/twin/ft_lora/adapter.gguf') },
    });
    // Points at step 0 and 2 (evalEvery), and after the last of the 4 steps.
    expect(version.lossCurve.map((point) => point.step)).toEqual([0, 2, 4]);
    expect(version.lossCurve.every((point) => point.validationLoss !== null)).toBe(true);
    // The checkpoint is gone once the adapter is registered.
    expect(await stores.artifacts.list('models/twin/ft_lora/')).toEqual([
      'models/twin/ft_lora/adapter.gguf',
      'models/twin/ft_lora/loss-curve.svg',
    ]);

    // The trained adapter, loaded by llama.cpp from the registered file, against the trainer's
    // own forward pass with the same values: the tiny model's F32 parity bounds (see
    // llama-cpp-parity.test.ts) hold for what training produced, not only for random adapters.
    if (version.artifact.kind !== 'gguf-adapter') throw new Error('not an adapter');
    const config = parseLlamaConfig(tiny.metadata);
    const model = await LlamaModel.load(config, tensorSource(tiny.tensors));
    const settings = { rank: 4, alpha: 8, targets: parseLoraHyperparameters(hyperparameters).targets };
    const values = await parentAdapterValues(
      version.artifact.adapter.path,
      { tensorNames: LoraAdapters.tensorNamesFor(config, settings), rank: 4 },
      'twin',
    );
    expect([...values.values()].some((pair) => pair.b.some((value) => value !== 0))).toBe(true);
    const lora = LoraAdapters.fromValues(config, settings, values);
    const reference = await LlamaCppReference.open(basePath, {
      kvCache: 'F32',
      loraPath: version.artifact.adapter.path,
    });
    try {
      const { tokens } = reference.chatAnswerTokens(
        [{ role: 'user', content: 'Why version data?' }],
        'Rollback is a feature.',
      );
      const logits = model.logits(tokens, { lora });
      const ours = logits.dataSync() as Float32Array;
      logits.dispose();
      const vocabulary = config.vocabularySize;
      const agreements: ReturnType<typeof comparePosition>[] = [];
      await reference.visitDistributions(tokens, (position, probabilities) => {
        agreements.push(
          comparePosition(
            probabilities,
            logSoftmax(ours.subarray(position * vocabulary, (position + 1) * vocabulary)),
          ),
        );
      });
      const summary = summarise(agreements);
      expect(summary.topAgreement).toBe(1);
      expect(summary.maxKl).toBeLessThan(1e-8);
    } finally {
      await reference.close();
      lora.dispose();
      model.dispose();
    }
  }, 300_000);

  it('goes on from its checkpoint after the worker died, to exactly the adapter of an unbroken run', async () => {
    const whole = await backend.train({ ...request, jobId: 'ft_whole' }, contextFor([]));
    // The "dead worker": stopped right after its step-2 checkpoint was stored. Nothing but the
    // artifact store survives it; the next delivery is a fresh train() with the same job id.
    const dying = new AbortController();
    const logs: string[] = [];
    const context = contextFor(logs, dying.signal);
    const store = stores.artifacts;
    const watching = Object.assign(Object.create(store) as typeof store, {
      put: async (key: string, data: Uint8Array | string) => {
        const stored = await store.put(key, data);
        if (key.endsWith('checkpoint.lora')) dying.abort(new Error('worker killed'));
        return stored;
      },
    });
    await expect(
      backend.train({ ...request, jobId: 'ft_resumed' }, { ...context, artifacts: watching }),
    ).rejects.toThrow('worker killed');
    expect(await store.exists('models/twin/ft_resumed/checkpoint.lora')).toBe(true);
    const resumed = await backend.train({ ...request, jobId: 'ft_resumed' }, contextFor(logs));
    expect(logs.some((line) => line.includes('resumed at step 2'))).toBe(true);
    expect(resumed.lossCurve).toEqual(whole.lossCurve);
    if (whole.artifact.kind !== 'gguf-adapter' || resumed.artifact.kind !== 'gguf-adapter')
      throw new Error('not adapters');
    expect(await readFile(resumed.artifact.adapter.path)).toEqual(
      await readFile(whole.artifact.adapter.path),
    );
  }, 300_000);

  it('refuses a base that is not a GGUF file, and a parent that is not an adapter, before training', async () => {
    const notGguf = new LoraFineTuneBackend({
      resolveBase: async () => ({
        ...base,
        artifact: { kind: 'local', key: 'models/x', sha256: 'a'.repeat(64) },
      }),
    });
    await expect(notGguf.train({ ...request, jobId: 'ft_bad' }, contextFor([]))).rejects.toThrow(
      /tiny-llama:1 is not a hash-pinned GGUF base model \(its artifact is local\)/,
    );
    await expect(
      backend.train({ ...request, jobId: 'ft_bad', parent: base }, contextFor([])),
    ).rejects.toThrow('parent tiny-llama:1 is a gguf model, not a LoRA adapter');
    expect(() => backend.parseHyperparameters({ rank: 0, stepz: 3, steps: 5, warmupSteps: 5 })).toThrow(
      /rank: .*\n.*stepz/s,
    );
  });
});
