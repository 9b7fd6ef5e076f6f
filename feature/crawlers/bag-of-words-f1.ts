/** Lower-cased runs of letters and digits: what the bag-of-words measure counts as words. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** How many times each word occurs. */
export function wordCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of wordTokens(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

/**
 * Bag-of-words F1 of `candidate` against `reference`: word order is ignored, repeats count (a word
 * twice in both matches twice). 1 when both hold no word, 0 when only one does.
 */
export function bagOfWordsF1(candidate: string, reference: string): number {
  const candidateCounts = wordCounts(candidate);
  const referenceCounts = wordCounts(reference);
  let candidateTotal = 0;
  let overlap = 0;
  for (const [word, count] of candidateCounts) {
    candidateTotal += count;
    overlap += Math.min(count, referenceCounts.get(word) ?? 0);
  }
  let referenceTotal = 0;
  for (const count of referenceCounts.values()) referenceTotal += count;
  if (candidateTotal === 0 && referenceTotal === 0) return 1;
  if (overlap === 0) return 0;
  const precision = overlap / candidateTotal;
  const recall = overlap / referenceTotal;
  return (2 * precision * recall) / (precision + recall);
}
