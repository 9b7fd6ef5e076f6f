import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load-config.ts';
import { silentLogger } from '../../core/logger.ts';
import type { FineTuneBackend } from '../../core/ports/fine-tune-backend.ts';
import type { JobContext } from '../../core/ports/job-queue.ts';
import { LocalFineTuneBackend } from '../backends/local-fine-tune-backend.ts';
import {
  openTestStores,
  registerFeatureSet,
  storeSampleDocuments,
  type TestStores,
} from '../datasets/__fixtures__/dataset-test-stores.ts';
import { buildDataset } from '../datasets/build-dataset.ts';
import { runFineTune } from './run-fine-tune.ts';

/**
 * A queue redelivers a fine-tune job whose worker died after registering the version but before
 * the job was reported done (BullMQ's stalled-job recovery). The rerun must not train again nor
 * register a second version, and the first run's artifacts must survive.
 */
describe('fine-tune job redelivered after its worker died', () => {
  let stores: TestStores;
  let datasetId: string;

  beforeEach(async () => {
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
    datasetId = built.dataset.id;
  });
  afterEach(async () => {
    await stores.close();
  });

  it('reports the version registered by the same job id instead of training again', async () => {
    const local = new LocalFineTuneBackend({ preset: 'ci' });
    let trainings = 0;
    // The real local trainer, counting how often it is asked to train.
    const counted: FineTuneBackend = Object.assign(Object.create(local) as FineTuneBackend, {
      train: (...args: Parameters<FineTuneBackend['train']>) => {
        trainings += 1;
        return local.train(...args);
      },
    });
    const logs: string[] = [];
    const context: Pick<JobContext, 'jobId' | 'progress' | 'log' | 'signal'> = {
      jobId: 'ft_redelivered',
      progress: async () => {},
      log: async (message) => {
        logs.push(message);
      },
      signal: new AbortController().signal,
    };
    const dependencies = {
      config: loadConfig({ env: {} }),
      metadata: stores.metadata,
      artifacts: stores.artifacts,
      queue: undefined as never,
      logger: silentLogger,
      backends: { local: counted },
    };
    const payload = {
      datasetId,
      backend: 'local',
      modelName: 'twin',
      baseModel: null,
      parentVersion: null,
      hyperparameters: { steps: 8 },
      requestedBy: 'test',
    };
    const first = await runFineTune(payload, context, dependencies);
    const artifactsAfterFirst = await stores.artifacts.list('models/twin/ft_redelivered/');
    const again = await runFineTune(payload, context, dependencies);

    expect(trainings).toBe(1);
    expect(again).toMatchObject({
      modelName: 'twin',
      version: first.version,
      backend: 'local',
      metrics: first.metrics,
      lossCurveKey: first.lossCurveKey,
    });
    expect((await stores.metadata.models.list('twin')).map((version) => version.jobId)).toEqual([
      'ft_redelivered',
    ]);
    expect(await stores.artifacts.list('models/twin/ft_redelivered/')).toEqual(artifactsAfterFirst);
    expect(logs).toContain('already registered twin:1 by this job');
  });
});
