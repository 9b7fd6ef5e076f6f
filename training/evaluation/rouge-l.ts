/** Lower-cased words (letters and digits of any script); punctuation and spacing never count. */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * ROUGE-L F1 (Lin, 2004) of a candidate against a reference: the longest common subsequence of
 * their words gives precision (over the candidate) and recall (over the reference), and F1 is
 * their harmonic mean. In [0, 1]; 1 when the word sequences are equal; 0 when either is empty.
 */
export function rougeL(candidate: string, reference: string): number {
  const candidateTokens = rougeTokens(candidate);
  const referenceTokens = rougeTokens(reference);
  if (candidateTokens.length === 0 || referenceTokens.length === 0) return 0;
  const common = longestCommonSubsequence(candidateTokens, referenceTokens);
  if (common === 0) return 0;
  const precision = common / candidateTokens.length;
  const recall = common / referenceTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Length of the LCS, in O(n·m) time and O(m) memory (two rows). */
export function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  let previous = new Uint32Array(b.length + 1);
  let current = new Uint32Array(b.length + 1);
  for (const word of a) {
    for (let j = 1; j <= b.length; j++) {
      current[j] =
        word === b[j - 1]
          ? (previous[j - 1] as number) + 1
          : Math.max(previous[j] as number, current[j - 1] as number);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] as number;
}
