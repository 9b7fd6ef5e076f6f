const piece = /[\p{L}\p{M}\p{N}_]+|[^\s\p{L}\p{M}\p{N}_]/gu;

/**
 * Approximate subword-token count, the same for every embedder so chunk sizes do not depend on
 * which tokenizer is installed. Words of up to eight characters count as one token and longer words
 * as one per six characters, which tracks WordPiece/BPE counts on English prose and code closely
 * enough for sizing chunks; each punctuation mark counts as one.
 */
export function countTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(piece)) {
    const word = match[0];
    tokens += word.length <= 8 ? 1 : Math.ceil(word.length / 6);
  }
  return tokens;
}
