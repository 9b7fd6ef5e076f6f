import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessJobQueue } from '../../core/adapters/queue/in-process-job-queue.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { silentLogger } from '../../core/logger.ts';
import { CommandFineTuneBackend } from '../backends/command-fine-tune-backend.ts';
import { LocalFineTuneBackend } from '../backends/local-fine-tune-backend.ts';
import {
  openTestStores,
  registerFeatureSet,
  storeSampleDocuments,
  type TestStores,
} from '../datasets/__fixtures__/dataset-test-stores.ts';
import { buildDataset } from '../datasets/build-dataset.ts';
import { registerTrainingJobs } from '../jobs/register-training-jobs.ts';

/**
 * The fine-tune job against real backends: a trainer that crashes half-way leaves a failed job, no
 * model version and no artifacts; a good run registers exactly one version with its lineage.
 */
describe('fine-tune job', () => {
  let stores: TestStores;
  let queue: InProcessJobQueue;
  let datasetId: string;
  const scripts = mkdtempSync(join(tmpdir(), 'twin-trainer-'));
  const crashing = join(scripts, 'crashing-trainer.mjs');
  writeFileSync(
    crashing,
    `import { mkdirSync, writeFileSync } from 'node:fs';
const output = process.argv[process.argv.indexOf('--output') + 1];
mkdirSync(output, { recursive: true });
writeFileSync(output + '/partial.gguf', 'GGUF half-written');
console.log(JSON.stringify({ progress: 0.4, step: 4, loss: 2.5 }));
console.error('CUDA error: out of memory');
process.exit(3);
`,
  );

  beforeEach(async () => {
    stores = await openTestStores();
    const featureSet = await registerFeatureSet(stores.metadata);
    await storeSampleDocuments(stores.metadata, featureSet.id);
    const config = loadConfig({ env: {} });
    const built = await buildDataset(
      { featureSetId: featureSet.id, kind: 'instruction', generator: 'offline' },
      {
        metadata: stores.metadata,
        artifacts: stores.artifacts,
        config: config.training,
        logger: silentLogger,
      },
    );
    datasetId = built.dataset.id;
    queue = new InProcessJobQueue(stores.metadata.jobs, { concurrency: 1, logger: silentLogger });
    registerTrainingJobs({
      config,
      metadata: stores.metadata,
      artifacts: stores.artifacts,
      queue,
      logger: silentLogger,
      backends: {
        local: new LocalFineTuneBackend({ preset: 'ci' }),
        command: new CommandFineTuneBackend({ argv: [process.execPath, crashing], timeoutMs: 60_000 }),
      },
    });
  });
  afterEach(async () => {
    await queue.close();
    await stores.close();
  });

  const fineTune = async (backend: string, hyperparameters: Record<string, unknown> = {}) => {
    const job = await queue.enqueue('training.finetune', {
      datasetId,
      backend,
      modelName: 'twin',
      hyperparameters,
      requestedBy: 'test',
    });
    return queue.waitFor(job.id);
  };

  it('a trainer that crashes mid-job leaves a failed job, no version and no artifacts', async () => {
    const record = await fineTune('command');
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/exit|code 3/i);
    expect(record.error).toMatch(/out of memory/);
    expect(await stores.metadata.models.list()).toEqual([]);
    expect(await stores.artifacts.list('models/')).toEqual([]);
    const logs = (await stores.metadata.jobs.logs(record.id)).map((line) => line.message).join('\n');
    expect(logs).toMatch(/fine-tuning twin with command/);
  });

  it('a good run registers one version with dataset, feature set and loss curve', async () => {
    const record = await fineTune('local', { steps: 12 });
    expect(record.status, record.error ?? '').toBe('completed');
    const [version] = await stores.metadata.models.list('twin');
    expect(version).toMatchObject({ version: 1, backend: 'local', datasetId, jobId: record.id });
    expect(version?.featureSetId).toMatch(/^fs_/);
    expect(version?.lossCurve.length).toBeGreaterThan(1);
    expect(new TextDecoder().decode(await stores.artifacts.get(version?.lossCurveKey as string))).toMatch(
      /^<svg/,
    );
    const again = await fineTune('local', { steps: 12 });
    // A new job id (the in-process queue gives one per enqueue) is a new version; the registry
    // itself refuses a second version for one job, which the idempotent submit relies on.
    expect(again.status).toBe('completed');
    expect((await stores.metadata.models.list('twin')).map((entry) => entry.version)).toEqual([2, 1]);
  });
});
