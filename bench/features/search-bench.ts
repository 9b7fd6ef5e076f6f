import { openSqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { SqliteVecVectorStore } from '../../core/adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import { deterministicUuid } from '../../core/hashing.ts';
import { createSeededRandom } from '../../core/local-model/seeded-random.ts';
import type { Category, Platform } from '../../core/types/category.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import { measure, percentile, round } from '../measure.ts';

const dimensions = 512;
const featureSet: FeatureSet = {
  id: 'fs_0000000be4c5',
  spec: {
    cleanerVersion: 'bench',
    chunking: {
      article: { chunkSize: 256, chunkOverlap: 32, strategy: 'prose' },
      post: { chunkSize: 128, chunkOverlap: 16, strategy: 'prose' },
      repository: { chunkSize: 384, chunkOverlap: 32, strategy: 'code' },
    },
    embedder: { id: 'bench-random', dimensions },
  },
  createdAt: new Date().toISOString(),
};

/** Clustered unit vectors: real embeddings are not uniform, and clusters make recall meaningful. */
function makeVectors(count: number, seed: number): Float32Array {
  // Seeded, so every run searches the same data.
  const next = createSeededRandom(seed).next;
  const centres = Array.from({ length: 64 }, () =>
    Float32Array.from({ length: dimensions }, () => next() * 2 - 1),
  );
  const data = new Float32Array(count * dimensions);
  for (let row = 0; row < count; row++) {
    const centre = centres[Math.floor(next() * centres.length)] as Float32Array;
    let norm = 0;
    for (let column = 0; column < dimensions; column++) {
      const value = (centre[column] as number) + (next() * 2 - 1) * 0.8;
      data[row * dimensions + column] = value;
      norm += value * value;
    }
    norm = Math.sqrt(norm);
    for (let column = 0; column < dimensions; column++) {
      const index = row * dimensions + column;
      data[index] = (data[index] as number) / norm;
    }
  }
  return data;
}

const platforms: Platform[] = ['web', 'medium', 'substack', 'devto', 'github', 'linkedin'];
const categories: Category[] = ['article', 'post', 'repository'];
const authorOf = (row: number) => `author-${row % 4}`;

/** The baseline: a plain Float32Array scan with the same filter, top-k by dot product (unit vectors). */
function bruteForce(
  data: Float32Array,
  count: number,
  query: Float32Array,
  k: number,
  author: string,
): number[] {
  const best: { row: number; score: number }[] = [];
  for (let row = 0; row < count; row++) {
    if (authorOf(row) !== author) continue;
    let score = 0;
    const offset = row * dimensions;
    for (let column = 0; column < dimensions; column++)
      score += (data[offset + column] as number) * (query[column] as number);
    if (best.length < k || score > (best[best.length - 1] as { score: number }).score) {
      best.push({ row, score });
      best.sort((a, b) => b.score - a.score);
      if (best.length > k) best.pop();
    }
  }
  return best.map((entry) => entry.row);
}

export async function runSearchBench(sizes: number[] = [10_000, 100_000], queries = 100) {
  const results: Record<string, unknown> = {};
  for (const count of sizes) {
    process.stderr.write(`search: building ${count} × ${dimensions} vectors\n`);
    const data = makeVectors(count, 7);
    const database = openSqliteDatabase(':memory:');
    const store = new SqliteVecVectorStore(database, { ownsDatabase: true });
    await store.ensureCollection(featureSet);
    const load = await measure(async () => {
      for (let start = 0; start < count; start += 2000) {
        const points = [];
        for (let row = start; row < Math.min(count, start + 2000); row++) {
          points.push({
            id: deterministicUuid(String(row)),
            vector: data.subarray(row * dimensions, (row + 1) * dimensions),
            payload: {
              authorId: authorOf(row),
              platform: platforms[row % platforms.length] as Platform,
              category: categories[row % categories.length] as Category,
              documentId: `doc-${Math.floor(row / 8)}`,
              url: `https://example.com/${row}`,
              title: `Document ${row}`,
              publishedAt: null,
              chunkIndex: row % 8,
              featureSetId: featureSet.id,
              text: `chunk ${row}`,
            },
          });
        }
        await store.upsert(featureSet.id, points);
      }
    });
    const queryVectors = makeVectors(queries, 99);
    const rowOfId = new Map<string, number>();
    for (let row = 0; row < count; row++) rowOfId.set(deterministicUuid(String(row)), row);

    const storeLatencies: number[] = [];
    const scanLatencies: number[] = [];
    let recallSum = 0;
    const storeRun = await measure(async () => {
      for (let index = 0; index < queries; index++) {
        const query = queryVectors.subarray(index * dimensions, (index + 1) * dimensions);
        const started = performance.now();
        const hits = await store.search(featureSet.id, query, {
          k: 10,
          filter: { authorId: authorOf(index) },
        });
        storeLatencies.push(performance.now() - started);
        const exact = new Set(bruteForce(data, count, query, 10, authorOf(index)));
        recallSum += hits.filter((hit) => exact.has(rowOfId.get(hit.id) as number)).length / 10;
      }
    });
    const scanRun = await measure(async () => {
      for (let index = 0; index < queries; index++) {
        const query = queryVectors.subarray(index * dimensions, (index + 1) * dimensions);
        const started = performance.now();
        bruteForce(data, count, query, 10, authorOf(index));
        scanLatencies.push(performance.now() - started);
      }
    });
    const storeP50 = percentile(storeLatencies, 0.5);
    const scanP50 = percentile(scanLatencies, 0.5);
    results[`${count}`] = {
      vectors: count,
      dimensions,
      filter: 'authorId (1 of 4 authors)',
      loadSeconds: round(load.durationMs / 1000),
      loadPeakRssMb: load.peakRssMb,
      sqliteVec: {
        p50Ms: round(storeP50),
        p95Ms: round(percentile(storeLatencies, 0.95)),
        recallAt10: round(recallSum / queries, 4),
        peakRssMb: storeRun.peakRssMb,
      },
      float32Scan: {
        p50Ms: round(scanP50),
        p95Ms: round(percentile(scanLatencies, 0.95)),
        recallAt10: 1,
        peakRssMb: scanRun.peakRssMb,
      },
      p50RatioToScan: round(storeP50 / scanP50, 3),
    };
    await store.close();
  }
  return results;
}
