import { describe, expect, it } from 'vitest';
import { type CreateMetadataStore, job, useMetadataStore } from './metadata-contract-fixtures.ts';

/** The behaviour every JobRepository must have: job records, their progress and their logs. */
export function runJobRepositoryContract(name: string, create: CreateMetadataStore) {
  describe(`JobRepository contract: ${name}`, () => {
    const store = useMetadataStore(create);

    it('records jobs, their progress and logs', async () => {
      await store().jobs.create(job('j1'));
      await store().jobs.create(job('j2', { queue: 'training', name: 'training.run' }));
      const running = await store().jobs.update('j1', {
        status: 'running',
        progress: 0.5,
        progressMessage: 'half',
      });
      expect(running).toMatchObject({ status: 'running', progress: 0.5, progressMessage: 'half' });
      await store().jobs.update('j1', { status: 'completed', result: { chunks: 3 }, finishedAt: 'x' });
      expect((await store().jobs.get('j1'))?.result).toEqual({ chunks: 3 });
      expect((await store().jobs.list({ queue: 'training' })).map((record) => record.id)).toEqual(['j2']);
      expect((await store().jobs.list({ status: 'completed' })).map((record) => record.id)).toEqual(['j1']);
      await store().jobs.appendLog('j1', 'first');
      await store().jobs.appendLog('j1', 'second');
      expect((await store().jobs.logs('j1')).map((line) => line.message)).toEqual(['first', 'second']);
      await expect(store().jobs.update('missing', { status: 'failed' })).rejects.toThrow(/missing/);
    });

    it('keeps the first completed result when asked to (a redundant rerun writes nothing over it)', async () => {
      await store().jobs.create(job('k1'));
      const keep = { keepCompleted: true };
      await store().jobs.update('k1', { status: 'running', progress: 0.2 }, keep);
      await store().jobs.update('k1', { status: 'completed', result: { chunks: 195 }, progress: 1 }, keep);
      const kept = await store().jobs.update('k1', { status: 'running', progress: 0.1 }, keep);
      expect(kept).toMatchObject({ status: 'completed', result: { chunks: 195 }, progress: 1 });
      await store().jobs.update('k1', { status: 'completed', result: { chunks: 0 } }, keep);
      await store().jobs.update('k1', { status: 'failed', error: 'late failure' }, keep);
      expect(await store().jobs.get('k1')).toMatchObject({
        status: 'completed',
        result: { chunks: 195 },
        error: null,
      });
      // Without it, a record is reset as usual (enqueueing the same id again).
      expect(await store().jobs.update('k1', { status: 'queued', result: null })).toMatchObject({
        status: 'queued',
      });
    });
  });
}
