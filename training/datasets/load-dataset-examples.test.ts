import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Dataset } from '../../core/types/dataset.ts';
import {
  openTestStores,
  registerFeatureSet,
  storeSampleDocuments,
  type TestStores,
  trainingConfig,
} from './__fixtures__/dataset-test-stores.ts';
import { buildDataset } from './build-dataset.ts';
import { loadDatasetExamples } from './load-dataset-examples.ts';

let stores: TestStores;
let dataset: Dataset;

beforeEach(async () => {
  stores = await openTestStores();
  const featureSet = await registerFeatureSet(stores.metadata);
  await storeSampleDocuments(stores.metadata, featureSet.id);
  ({ dataset } = await buildDataset(
    { featureSetId: featureSet.id, kind: 'instruction', generator: 'offline' },
    {
      metadata: stores.metadata,
      artifacts: stores.artifacts,
      config: trainingConfig(),
      logger: silentLogger,
    },
  ));
});
afterEach(async () => {
  await stores.close();
});

const stored = async () =>
  JSON.parse(new TextDecoder().decode(await stores.artifacts.get(dataset.artifactKey))) as {
    train: { answer: string }[];
    test: unknown[];
  };

describe('loadDatasetExamples', () => {
  it('returns the examples of the dataset’s kind', async () => {
    const examples = await loadDatasetExamples(stores.artifacts, dataset);
    expect(examples.kind).toBe('instruction');
    expect(examples.train).toHaveLength(dataset.sizes.train);
    expect(examples.test).toHaveLength(dataset.sizes.test);
    expect(examples.train[0]).toEqual((await stored()).train[0]);
  });

  it('says the examples are missing, and how to get them back', async () => {
    await stores.artifacts.delete(dataset.artifactKey);
    const failure = loadDatasetExamples(stores.artifacts, dataset);
    await expect(failure).rejects.toThrow(NotFoundError);
    await expect(failure).rejects.toThrow(
      /examples of dataset ds_[0-9a-f]{12} are missing .*twin datasets build/,
    );
  });

  it('refuses a file that is not JSON, not examples, the wrong size, or edited after the build', async () => {
    const expectCorrupt = async (content: string, reason: RegExp) => {
      await stores.artifacts.put(dataset.artifactKey, content);
      const failure = loadDatasetExamples(stores.artifacts, dataset);
      await expect(failure).rejects.toThrow(ValidationError);
      await expect(failure).rejects.toThrow(reason);
    };
    const original = await stored();
    await expectCorrupt('{"train": [', /corrupt .*not valid JSON/);
    await expectCorrupt(
      JSON.stringify({ train: [{ prompt: 'x' }], test: [] }),
      /not instruction examples: train\.0\.instruction/,
    );
    await expectCorrupt(JSON.stringify({ ...original, test: [] }), /the record says/);
    const edited = structuredClone(original);
    if (edited.train[0]) edited.train[0].answer = `${edited.train[0].answer} (edited)`;
    await expectCorrupt(JSON.stringify(edited), /do not hash to the dataset id/);
  });
});

describe('loadDatasetExamples with an expected kind', () => {
  it('types the examples, and refuses a dataset of the other kind', async () => {
    const examples = await loadDatasetExamples(stores.artifacts, dataset, 'instruction');
    expect(examples.train[0]?.answer.length).toBeGreaterThan(0);
    await expect(loadDatasetExamples(stores.artifacts, dataset, 'preference')).rejects.toThrow(
      /is an instruction dataset, not a preference dataset/,
    );
  });
});
