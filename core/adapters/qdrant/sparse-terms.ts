import {
  maxKeywordQueryTerms as maxQueryTerms,
  keywordStopWords as stopWords,
} from '../../features/keyword-stop-words.ts';
import { porterStem } from './porter-stemmer.ts';

/** A sparse vector in Qdrant's shape: unique uint32 term indices and their weights. */
export type SparseVector = { indices: number[]; values: number[] };

/** BM25 term-frequency saturation and length normalisation; IDF is Qdrant's (`modifier: idf`). */
const k1 = 1.2;
const b = 0.75;
/** A typical chunk length in words: chunks are sized by the chunker, so lengths vary little. */
const averageLength = 100;
/** A title word counts half a text word, like the embedded index's column weights. */
const titleWeight = 0.5;

/**
 * Words the way SQLite's `porter unicode61 remove_diacritics 2` tokenizer sees them: Unicode letters
 * and digits, case-folded, accents removed, then Porter-stemmed.
 */
export function keywordTerms(text: string): string[] {
  return words(text).map(porterStem);
}

function words(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** FNV-1a over the UTF-8 bytes: a stable uint32 index per term, the same in every process. */
export function termIndex(term: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(term, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A chunk's keyword vector: BM25's saturated term frequency per term (text words count 1, title
 * words one half). Qdrant multiplies each by the term's IDF at query time, so the dot product with
 * a query vector is a BM25 score.
 */
export function documentSparseVector(text: string, title = ''): SparseVector {
  const frequencies = new Map<number, number>();
  const textTerms = keywordTerms(text);
  for (const term of textTerms) add(frequencies, termIndex(term), 1);
  for (const term of keywordTerms(title)) add(frequencies, termIndex(term), titleWeight);
  const lengthNorm = 1 - b + (b * textTerms.length) / averageLength;
  return toSparse(frequencies, (frequency) => (frequency * (k1 + 1)) / (frequency + k1 * lengthNorm));
}

/**
 * A query's keyword vector: each distinct meaningful term once with weight 1, so the score sums the
 * matching terms' BM25 weights. Null when the text has no word (the caller returns no hits).
 */
export function querySparseVector(text: string): SparseVector | null {
  const unique = [...new Set(words(text))];
  const meaningful = unique.filter((word) => !stopWords.has(word));
  // A question made only of stop words ("who are you") still searches for them.
  const kept = (meaningful.length > 0 ? meaningful : unique).slice(0, maxQueryTerms);
  if (kept.length === 0) return null;
  const frequencies = new Map<number, number>();
  for (const word of kept) frequencies.set(termIndex(porterStem(word)), 1);
  return toSparse(frequencies, (value) => value);
}

function add(frequencies: Map<number, number>, index: number, amount: number): void {
  frequencies.set(index, (frequencies.get(index) ?? 0) + amount);
}

/** Qdrant requires unique indices; sorting them makes the request body deterministic. */
function toSparse(frequencies: Map<number, number>, weight: (frequency: number) => number): SparseVector {
  const indices = [...frequencies.keys()].sort((left, right) => left - right);
  return { indices, values: indices.map((index) => weight(frequencies.get(index) ?? 0)) };
}
