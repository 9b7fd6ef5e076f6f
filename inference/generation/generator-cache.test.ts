import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../core/types/model-version.ts';
import { ExtractiveGenerator } from './extractive-generator.ts';
import { GeneratorCache } from './generator-cache.ts';
import type { TwinGenerator } from './twin-generator.ts';

function version(number: number): ModelVersion {
  return {
    name: 'twin',
    version: number,
    backend: 'local',
    baseModel: null,
    hyperparameters: {},
    datasetId: null,
    featureSetId: null,
    parentVersion: null,
    metrics: {},
    lossCurve: [],
    artifact: { kind: 'local', key: `models/twin/${number}`, sha256: '0'.repeat(64) },
    lossCurveKey: null,
    jobId: null,
    createdAt: '2025-05-01T10:00:00.000Z',
    createdBy: 'test',
  };
}

/** A generator that records when it is closed. */
class RecordingGenerator extends ExtractiveGenerator {
  constructor(
    readonly key: string,
    private readonly closed: string[],
  ) {
    super();
  }
  override async close(): Promise<void> {
    this.closed.push(this.key);
  }
}

function cache(capacity: number) {
  const loads: string[] = [];
  const closed: string[] = [];
  const generators = new GeneratorCache({
    capacity,
    create: async (modelVersion) => {
      const key = GeneratorCache.keyOf(modelVersion);
      loads.push(key);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (modelVersion?.version === 99) throw new Error('checkpoint missing');
      return new RecordingGenerator(key, closed);
    },
  });
  return { generators, loads, closed };
}

describe('GeneratorCache', () => {
  it('loads each version once, even when asked concurrently', async () => {
    const { generators, loads } = cache(2);
    const [first, second] = await Promise.all([generators.get(version(1)), generators.get(version(1))]);
    expect(first).toBe(second);
    expect(await generators.get(version(1))).toBe(first);
    expect(loads).toEqual(['twin:1']);
  });

  it('evicts and closes the least recently used generator', async () => {
    const { generators, loads, closed } = cache(2);
    const one = await generators.get(version(1));
    await generators.get(version(2));
    await generators.get(version(1));
    await generators.get(null);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(closed).toEqual(['twin:2']);
    expect(generators.size).toBe(2);
    expect(await generators.get(version(1))).toBe(one);
    expect((await generators.get(null)).id).toBe('extractive');
    await generators.get(version(2));
    expect(loads).toEqual(['twin:1', 'twin:2', 'extractive', 'twin:2']);
  });

  it('forgets a failed load, so the next request tries again', async () => {
    const { generators, loads } = cache(2);
    await expect(generators.get(version(99))).rejects.toThrow('checkpoint missing');
    await expect(generators.get(version(99))).rejects.toThrow('checkpoint missing');
    expect(loads).toEqual(['twin:99', 'twin:99']);
    expect(generators.size).toBe(0);
  });

  it('closes everything on close and refuses use afterwards', async () => {
    const { generators, closed } = cache(3);
    const loaded: TwinGenerator[] = await Promise.all([
      generators.get(version(1)),
      generators.get(version(2)),
    ]);
    expect(loaded).toHaveLength(2);
    await generators.close();
    expect(closed.sort()).toEqual(['twin:1', 'twin:2']);
    await expect(generators.get(version(1))).rejects.toThrow('closed');
  });
});
