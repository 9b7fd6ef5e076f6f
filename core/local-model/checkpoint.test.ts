import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../adapters/artifacts/local-artifact-store.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ArtifactStore } from '../ports/artifact-store.ts';
import { BpeTokenizer } from './bpe-tokenizer.ts';
import { loadCheckpoint, manifestKeyOf, saveCheckpoint } from './checkpoint.ts';
import { localModelPresets } from './model-config.ts';
import { initTfjs } from './tfjs-runtime.ts';
import { TransformerModel } from './transformer-model.ts';

const tokenizer = BpeTokenizer.train(['a feature store is a contract', 'boring is a feature'], {
  vocabSize: 280,
});
const config = { ...localModelPresets.ci, vocabSize: tokenizer.vocabSize, seed: 9, tieEmbeddings: false };
const probe = Int32Array.from([1, 3, 100, 120, 140, 4, 200]);

function logitsOf(model: TransformerModel): number[] {
  const logits = model.logits(probe, 1, probe.length);
  const values = Array.from(logits.dataSync());
  logits.dispose();
  return values;
}

describe('checkpoint', () => {
  let folder: string;
  let artifacts: LocalArtifactStore;
  let model: TransformerModel;

  beforeAll(async () => {
    await initTfjs();
    folder = await mkdtemp(join(tmpdir(), 'twin-checkpoint-'));
    artifacts = new LocalArtifactStore(folder);
    model = TransformerModel.create(config);
  });
  afterAll(async () => {
    model.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  it('round-trips: the loaded model gives bit-identical logits and the same tokenizer', async () => {
    const saved = await saveCheckpoint(artifacts, 'models/twin/job-1', {
      model,
      tokenizer,
      training: { steps: 3 },
    });
    expect(saved.key).toBe('models/twin/job-1/manifest.json');
    expect(await artifacts.list('models/twin/job-1/')).toEqual([
      'models/twin/job-1/manifest.json',
      'models/twin/job-1/weights.bin',
    ]);
    const loaded = await loadCheckpoint(artifacts, 'models/twin/job-1', { expectedSha256: saved.sha256 });
    expect(logitsOf(loaded.model)).toEqual(logitsOf(model));
    expect(loaded.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    expect(loaded.manifest.config).toEqual(config);
    expect(loaded.manifest.training).toEqual({ steps: 3 });
    loaded.model.dispose();
  });

  it('writes the weights first and the manifest last', async () => {
    const order: string[] = [];
    const recording: ArtifactStore = {
      put: (key, data) => {
        order.push(key.split('/').pop() as string);
        return artifacts.put(key, data);
      },
      get: (key) => artifacts.get(key),
      exists: (key) => artifacts.exists(key),
      list: (prefix) => artifacts.list(prefix),
      delete: (key) => artifacts.delete(key),
      locate: (key) => artifacts.locate(key),
      close: () => artifacts.close(),
    };
    await saveCheckpoint(recording, 'models/twin/job-2/', { model, tokenizer });
    expect(order).toEqual(['weights.bin', 'manifest.json']);
  });

  it('refuses corrupted, truncated or mismatched checkpoints with a clear error', async () => {
    const saved = await saveCheckpoint(artifacts, 'models/twin/job-3', { model, tokenizer });
    const weightsKey = 'models/twin/job-3/weights.bin';
    const weights = await artifacts.get(weightsKey);

    const flipped = Uint8Array.from(weights);
    flipped[100] = (flipped[100] as number) ^ 0xff;
    await artifacts.put(weightsKey, flipped);
    await expect(loadCheckpoint(artifacts, saved.key)).rejects.toThrow(
      /weights\.bin sha256 .* \(corrupted\?\)/,
    );

    await artifacts.put(weightsKey, weights.subarray(0, weights.length - 8));
    await expect(loadCheckpoint(artifacts, saved.key)).rejects.toThrow(
      /has \d+ bytes, the manifest says \d+ \(truncated\?\)/,
    );

    await artifacts.put(weightsKey, weights);
    await expect(loadCheckpoint(artifacts, saved.key, { expectedSha256: 'f'.repeat(64) })).rejects.toThrow(
      /differs from the registered/,
    );

    const manifest = JSON.parse(new TextDecoder().decode(await artifacts.get(saved.key)));
    await artifacts.put(saved.key, JSON.stringify({ ...manifest, formatVersion: 99 }));
    await expect(loadCheckpoint(artifacts, saved.key)).rejects.toThrow(/manifest is invalid: formatVersion/);

    manifest.weights.tensors[0].shape = [1, 1];
    await artifacts.put(saved.key, JSON.stringify(manifest));
    await expect(loadCheckpoint(artifacts, saved.key)).rejects.toThrow(ValidationError);

    await artifacts.put(saved.key, '{"format": "llm-twin-local-mo');
    await expect(loadCheckpoint(artifacts, saved.key)).rejects.toThrow(/manifest is not JSON/);

    await expect(loadCheckpoint(artifacts, 'models/twin/missing')).rejects.toThrow(NotFoundError);
  });

  it('leaves no tensors behind when loading fails', async () => {
    const before = tf.memory().numTensors;
    await expect(loadCheckpoint(artifacts, 'models/twin/job-3')).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts the folder or the manifest key', () => {
    expect(manifestKeyOf('models/a/b')).toBe('models/a/b/manifest.json');
    expect(manifestKeyOf('models/a/b/')).toBe('models/a/b/manifest.json');
    expect(manifestKeyOf('models/a/b/manifest.json')).toBe('models/a/b/manifest.json');
  });
});
