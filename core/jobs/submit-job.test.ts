import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessJobQueue } from '../adapters/queue/in-process-job-queue.ts';
import { openSqliteDatabase, type SqliteDatabase } from '../adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../adapters/sqlite/sqlite-metadata-store.ts';
import { silentLogger } from '../logger.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import { submitIdempotentJob } from './submit-job.ts';

describe('submitIdempotentJob', () => {
  let database: SqliteDatabase;
  let metadata: MetadataStore;
  let queue: InProcessJobQueue;
  let runs = 0;
  let fail = false;

  beforeEach(async () => {
    database = openSqliteDatabase(':memory:');
    metadata = createSqliteMetadataStore(database);
    await metadata.migrate();
    queue = new InProcessJobQueue(metadata.jobs, { concurrency: 1, logger: silentLogger });
    runs = 0;
    queue.register('training.finetune', async (payload) => {
      runs += 1;
      if (fail) throw new Error('backend crashed');
      return {
        modelName: payload.modelName,
        version: 1,
        backend: payload.backend,
        metrics: {},
        lossCurveKey: null,
        durationMs: 1,
      };
    });
  });
  afterEach(async () => {
    await queue.close();
    await metadata.close();
    database.close();
  });

  const payload = (requestedBy: string, steps = 10) => ({
    datasetId: 'ds_0123456789ab',
    backend: 'local',
    modelName: 'twin',
    hyperparameters: { steps },
    requestedBy,
  });
  const submit = (requestedBy: string, steps?: number) =>
    submitIdempotentJob({ queue, jobs: metadata.jobs }, 'training.finetune', payload(requestedBy, steps), {
      prefix: 'ft',
      ignore: ['requestedBy'],
    });

  it('returns the completed job for the same request, whoever asks', async () => {
    const first = await submit('ada');
    await queue.waitFor(first.job.id);
    const again = await submit('bob');
    expect(again).toMatchObject({ reused: true, job: { id: first.job.id, status: 'completed' } });
    expect(runs).toBe(1);
    const different = await submit('ada', 20);
    expect(different.job.id).not.toBe(first.job.id);
    expect(first.job.id).toMatch(/^ft_[0-9a-f]{16}$/);
  });

  it('dedupes a request in flight and runs a failed one again', async () => {
    fail = true;
    const first = await submit('ada');
    const duplicate = await submit('ada');
    expect(duplicate).toMatchObject({ reused: true, job: { id: first.job.id } });
    expect((await queue.waitFor(first.job.id)).status).toBe('failed');
    fail = false;
    const retried = await submit('ada');
    expect(retried.reused).toBe(false);
    expect((await queue.waitFor(retried.job.id)).status).toBe('completed');
    expect(runs).toBe(2);
  });
});
