import { describe, expect, it } from 'vitest';
import { type CreateMetadataStore, dataset, useMetadataStore } from './metadata-contract-fixtures.ts';

/** The behaviour every DatasetRepository must have: content-addressed datasets, saved once. */
export function runDatasetRepositoryContract(name: string, create: CreateMetadataStore) {
  describe(`DatasetRepository contract: ${name}`, () => {
    const store = useMetadataStore(create);

    it('saves content-addressed datasets once and lists them', async () => {
      const first = await store().datasets.save(dataset('ds_0123456789ab'));
      const again = await store().datasets.save({
        ...dataset('ds_0123456789ab'),
        createdAt: '2030-01-01T00:00:00.000Z',
      });
      expect(again).toEqual(first);
      await store().datasets.save(dataset('ds_ba9876543210', 'fs_ffffffffffff'));
      expect((await store().datasets.list()).map((entry) => entry.id).sort()).toEqual([
        'ds_0123456789ab',
        'ds_ba9876543210',
      ]);
      expect(
        (await store().datasets.list({ featureSetId: 'fs_ffffffffffff' })).map((entry) => entry.id),
      ).toEqual(['ds_ba9876543210']);
      expect(await store().datasets.get('ds_000000000000')).toBeNull();
    });
  });
}
