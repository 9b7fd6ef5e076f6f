import { describe, expect, it } from 'vitest';
import { type CreateMetadataStore, modelVersion, useMetadataStore } from './metadata-contract-fixtures.ts';

/** The behaviour every ModelRegistry must have: numbered versions, merged metrics, aliases moved atomically. */
export function runModelRegistryContract(name: string, create: CreateMetadataStore) {
  describe(`ModelRegistry contract: ${name}`, () => {
    const store = useMetadataStore(create);

    it('numbers model versions per name, once per job, and merges metrics', async () => {
      const one = await store().models.register(modelVersion({ jobId: 'job-1' }));
      const two = await store().models.register(modelVersion({ jobId: 'job-2', parentVersion: 1 }));
      const retried = await store().models.register(modelVersion({ jobId: 'job-2' }));
      const other = await store().models.register(modelVersion({ name: 'other', jobId: 'job-3' }));
      expect([one.version, two.version, retried.version, other.version]).toEqual([1, 2, 2, 1]);
      expect((await store().models.list('twin')).map((version) => version.version)).toEqual([2, 1]);
      expect(await store().models.get('twin', 2)).toMatchObject({
        parentVersion: 1,
        artifact: { kind: 'local' },
      });
      const evaluated = await store().models.updateMetrics('twin', 1, { rougeL: 0.4 });
      expect(evaluated.metrics).toEqual({ validationLoss: 2.5, rougeL: 0.4 });
      await expect(store().models.updateMetrics('twin', 9, {})).rejects.toThrow(/twin:9 not found/);
    });

    it('moves aliases atomically with an audit trail and compare-and-set', async () => {
      await store().models.register(modelVersion());
      await store().models.register(modelVersion());
      const promoted = await store().models.moveAlias({
        name: 'twin',
        alias: 'production',
        toVersion: 1,
        movedBy: 'ada',
      });
      expect(promoted).toMatchObject({ fromVersion: null, toVersion: 1, movedBy: 'ada' });
      await store().models.moveAlias({
        name: 'twin',
        alias: 'production',
        toVersion: 2,
        movedBy: 'bob',
        reason: 'better',
      });
      expect(await store().models.getAlias('twin', 'production')).toMatchObject({
        version: 2,
        updatedBy: 'bob',
      });
      await expect(
        store().models.moveAlias({
          name: 'twin',
          alias: 'production',
          toVersion: 1,
          movedBy: 'eve',
          expectedVersion: 1,
        }),
      ).rejects.toThrow(/someone else moved it/);
      await expect(
        store().models.moveAlias({ name: 'twin', alias: 'production', toVersion: 7, movedBy: 'x' }),
      ).rejects.toThrow(/twin:7 not found/);
      await expect(
        store().models.moveAlias({ name: 'twin', alias: 'Bad Alias', toVersion: 1, movedBy: 'x' }),
      ).rejects.toThrow(/invalid alias/);
      expect(await store().models.getAlias('twin', 'production')).toMatchObject({ version: 2 });
      const history = await store().models.aliasHistory('twin', 'production');
      expect(history.map((event) => [event.fromVersion, event.toVersion, event.movedBy])).toEqual([
        [1, 2, 'bob'],
        [null, 1, 'ada'],
      ]);
      await store().models.moveAlias({ name: 'twin', alias: 'staging', toVersion: 1, movedBy: 'ada' });
      await store().models.moveAlias({ name: 'twin', alias: 'staging', toVersion: null, movedBy: 'ada' });
      expect((await store().models.listAliases('twin')).map((alias) => alias.alias)).toEqual(['production']);
    });
  });
}
