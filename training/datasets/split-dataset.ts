import { sha256 } from '../../core/hashing.ts';
import type { DatasetSplits } from '../../core/types/dataset.ts';

export type SplitOptions = { testFraction: number; seed: string };

/**
 * Deterministic train/test split by document: each source document hashes (with the seed) to a
 * point in [0, 1) and goes to test when the point falls below `testFraction`. All pairs of one
 * document land on the same side, so the test set never holds a paraphrase of a training answer.
 * With two or more documents and a positive fraction the test side gets at least one document, so
 * a small corpus still gets a test set; the train side always keeps at least one.
 */
export function splitDataset<T extends { sourceDocumentId: string }>(
  examples: readonly T[],
  options: SplitOptions,
): DatasetSplits<T> {
  const points = new Map<string, number>();
  for (const example of examples)
    if (!points.has(example.sourceDocumentId))
      points.set(example.sourceDocumentId, pointOf(options.seed, example.sourceDocumentId));

  const test = new Set([...points].filter(([, point]) => point < options.testFraction).map(([id]) => id));
  const byPoint = [...points].sort(([idA, a], [idB, b]) => a - b || (idA < idB ? -1 : 1));
  const lowest = byPoint[0]?.[0];
  const highest = byPoint[byPoint.length - 1]?.[0];
  if (points.size >= 2 && options.testFraction > 0 && test.size === 0 && lowest !== undefined)
    test.add(lowest);
  if (test.size === points.size && highest !== undefined) test.delete(highest);
  return {
    train: examples.filter((example) => !test.has(example.sourceDocumentId)),
    test: examples.filter((example) => test.has(example.sourceDocumentId)),
  };
}

/** The document's point in [0, 1): 52 bits of sha256(seed, id), exact in a double. */
function pointOf(seed: string, documentId: string): number {
  return Number.parseInt(sha256(`${seed}\u0000${documentId}`).slice(0, 13), 16) / 2 ** 52;
}
