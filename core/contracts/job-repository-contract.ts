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
  });
}
