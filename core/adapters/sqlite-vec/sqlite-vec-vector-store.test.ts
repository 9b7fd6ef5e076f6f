import { describe, expect, it } from 'vitest';
import { contractFeatureSet, runVectorStoreContract } from '../../contracts/vector-store-contract.ts';
import type { VectorPoint } from '../../ports/vector-store.ts';
import { openSqliteDatabase, type SqliteDatabase } from '../sqlite/open-sqlite-database.ts';
import { SqliteVecVectorStore } from './sqlite-vec-vector-store.ts';

runVectorStoreContract(
  'sqlite-vec',
  async () => new SqliteVecVectorStore(openSqliteDatabase(':memory:'), { ownsDatabase: true }),
);

const dimensions = contractFeatureSet.spec.embedder.dimensions;
const texts = [
  'Rollback is one alias move back to the previous model version.',
  'A polite crawler reads robots.txt before it fetches anything.',
  'Content hashes make dataset versions comparable.',
];

function points(): VectorPoint[] {
  return texts.map((text, index) => ({
    id: `00000000-0000-8000-8000-00000000000${index}`,
    vector: Float32Array.from({ length: dimensions }, (_, position) => (position === index ? 1 : 0)),
    payload: {
      authorId: 'ada',
      platform: 'web',
      category: 'article',
      documentId: `d${index}`,
      url: `https://example.com/d${index}`,
      title: `Post ${index}`,
      publishedAt: null,
      chunkIndex: 0,
      featureSetId: contractFeatureSet.id,
      text,
    },
  }));
}

/** A collection as stores wrote it before keyword search existed: vectors, no keyword index. */
async function collectionWithoutKeywordIndex(): Promise<SqliteDatabase> {
  const database = openSqliteDatabase(':memory:');
  const store = new SqliteVecVectorStore(database);
  await store.ensureCollection(contractFeatureSet);
  await store.upsert(contractFeatureSet.id, points());
  database.exec(
    `drop table keywords_${contractFeatureSet.id}; drop table keyword_rows_${contractFeatureSet.id}`,
  );
  return database;
}

describe('SqliteVecVectorStore keyword index', () => {
  it('backfills the keyword index of an older collection on ensureCollection', async () => {
    const database = await collectionWithoutKeywordIndex();
    const store = new SqliteVecVectorStore(database, { ownsDatabase: true });
    await store.ensureCollection(contractFeatureSet);
    const hits = await store.keywordSearch(contractFeatureSet.id, 'robots crawler', { k: 5 });
    expect(hits.map((hit) => hit.payload.documentId)).toEqual(['d1']);
    expect(hits[0]?.payload.text).toBe(texts[1]);
    // The backfilled index stays in step with later writes.
    await store.deleteByDocument(contractFeatureSet.id, 'd1');
    expect(await store.keywordSearch(contractFeatureSet.id, 'robots crawler', { k: 5 })).toEqual([]);
    await store.close();
  });

  it('backfills on first use when ensureCollection was not called', async () => {
    const database = await collectionWithoutKeywordIndex();
    const store = new SqliteVecVectorStore(database, { ownsDatabase: true });
    const hits = await store.keywordSearch(contractFeatureSet.id, 'dataset hashes', { k: 5 });
    expect(hits.map((hit) => hit.payload.documentId)).toEqual(['d2']);
    expect(await store.count(contractFeatureSet.id)).toBe(3);
    await store.close();
  });

  it('rolls the keyword index back with the vectors when a batch fails half-way', async () => {
    const store = new SqliteVecVectorStore(openSqliteDatabase(':memory:'), { ownsDatabase: true });
    await store.ensureCollection(contractFeatureSet);
    const [good, second] = points();
    const broken = {
      ...second!,
      payload: { ...second!.payload, platform: 'myspace' },
    } as unknown as VectorPoint;
    await expect(store.upsert(contractFeatureSet.id, [good!, broken])).rejects.toThrow();
    expect(await store.count(contractFeatureSet.id)).toBe(0);
    expect(await store.keywordSearch(contractFeatureSet.id, 'rollback alias', { k: 5 })).toEqual([]);
    await store.close();
  });
});
