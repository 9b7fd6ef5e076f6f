import { sha256 } from '../../core/hashing.ts';
import type { DatasetSplits } from '../../core/types/dataset.ts';

export type SplitOptions = { testFraction: number; seed: string };

/**
 * Deterministic train/test split by document: each source document hashes (with the seed) to a
 * point in [0, 1), and documents join the test side in that order until it holds `testFraction`
 * of the examples. All pairs of one document land on the same side, so the test set never holds a
 * paraphrase of a training answer; filling by example count (not document count) keeps the test
 * set near the asked size even when documents yield very different numbers of pairs. With two or
 * more documents and a positive fraction the test side gets at least one document; the train side
 * always keeps at least one.
 */
export function splitDataset<T extends { sourceDocumentId: string }>(
  examples: readonly T[],
  options: SplitOptions,
): DatasetSplits<T> {
  const counts = new Map<string, number>();
  for (const example of examples)
    counts.set(example.sourceDocumentId, (counts.get(example.sourceDocumentId) ?? 0) + 1);
  const ordered = [...counts.keys()]
    .map((id) => ({ id, point: pointOf(options.seed, id) }))
    .sort((a, b) => a.point - b.point || (a.id < b.id ? -1 : 1));

  const test = new Set<string>();
  if (ordered.length >= 2 && options.testFraction > 0) {
    const target = options.testFraction * examples.length;
    let taken = 0;
    // The last document in hash order never goes to test, so training keeps at least one.
    for (const { id } of ordered.slice(0, -1)) {
      if (test.size > 0 && taken >= target) break;
      const count = counts.get(id) ?? 0;
      // Skip a document that would overshoot the target by more than it helps reach it.
      if (test.size > 0 && taken + count - target > target - taken) continue;
      test.add(id);
      taken += count;
    }
  }
  return {
    train: examples.filter((example) => !test.has(example.sourceDocumentId)),
    test: examples.filter((example) => test.has(example.sourceDocumentId)),
  };
}

/** The document's point in [0, 1): 52 bits of sha256(seed, id), exact in a double. */
function pointOf(seed: string, documentId: string): number {
  return Number.parseInt(sha256(`${seed}\u0000${documentId}`).slice(0, 13), 16) / 2 ** 52;
}
