import {
  maxKeywordQueryTerms as maxTerms,
  keywordStopWords as stopWords,
} from '../../features/keyword-stop-words.ts';

/**
 * Turns user text into an FTS5 MATCH expression that cannot be read as FTS5 syntax: the text is
 * split into words (letters and digits), each word becomes a quoted string and the strings are
 * OR-ed, so `AND`, `NEAR(`, `col:`, `*`, `^`, `-` and stray quotes are only ever searched for as
 * words or not at all. Null when no word is left (the caller returns no hits).
 */
export function toFts5Query(text: string): string | null {
  const words =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const unique = [...new Set(words)];
  const meaningful = unique.filter((word) => !stopWords.has(word));
  // A question made only of stop words ("who are you") still searches for them.
  const terms = (meaningful.length > 0 ? meaningful : unique).slice(0, maxTerms);
  if (terms.length === 0) return null;
  // The words hold no quote characters, so wrapping them in quotes is a complete escape.
  return terms.map((term) => `"${term}"`).join(' OR ');
}
