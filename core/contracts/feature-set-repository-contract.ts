import { describe, expect, it } from 'vitest';
import { sha256 } from '../hashing.ts';
import {
  article,
  type CreateMetadataStore,
  cleaned,
  useMetadataStore,
} from './metadata-contract-fixtures.ts';
import { contractFeatureSet } from './vector-store-contract.ts';

/** The behaviour every FeatureSetRepository must have: idempotent registration, cleaned documents per feature set. */
export function runFeatureSetRepositoryContract(name: string, create: CreateMetadataStore) {
  describe(`FeatureSetRepository contract: ${name}`, () => {
    const store = useMetadataStore(create);

    it('registers feature sets idempotently and keeps cleaned documents per feature set', async () => {
      const first = await store().featureSets.register(contractFeatureSet);
      const again = await store().featureSets.register({
        ...contractFeatureSet,
        createdAt: '2030-01-01T00:00:00.000Z',
      });
      expect(again).toEqual(first);
      await store().documents.upsert(article('a1', 'one'), '2026-03-01T00:00:00.000Z');
      await store().featureSets.saveCleaned(cleaned('a1', 'clean one'), 3);
      await store().featureSets.saveCleaned(cleaned('a1', 'clean one, again'), 4);
      expect(await store().featureSets.getProcessed(contractFeatureSet.id, 'a1')).toMatchObject({
        chunkCount: 4,
        sourceHash: sha256('clean one, again'),
      });
      expect((await store().featureSets.getCleaned(contractFeatureSet.id, 'a1'))?.text).toBe(
        'clean one, again',
      );
      const [stats] = await store().featureSets.list();
      expect(stats).toMatchObject({ id: contractFeatureSet.id, documents: 1, chunks: 4 });
      expect(await store().featureSets.featureSetsOf('a1')).toEqual([contractFeatureSet.id]);
      expect(await store().documents.remove('a1')).toBe(true);
      expect(await store().featureSets.getCleaned(contractFeatureSet.id, 'a1')).toBeNull();
      expect(await store().documents.remove('a1')).toBe(false);
    });
  });
}
