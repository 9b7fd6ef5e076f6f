/**
 * Lower-cases a capitalised word ("Chunking" → "chunking") unless the text shows it is a name: the
 * word appears capitalised somewhere other than at the start of a sentence ("in Oslo", "ours was
 * Postgres"). Words with inner capitals (SQLite, MLOps) or all capitals (RAG) are left alone.
 */
export function lowerUnlessProperNoun(word: string, text: string): string {
  if (!/^\p{Lu}\p{Ll}+$/u.test(word)) return word;
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const midSentence = new RegExp(`(?<![.!?:"'\\n]\\s*|^\\s*|#)\\b${escaped}\\b`, 'u');
  const textWithoutStart = text.replace(/^\s+/, '');
  return midSentence.test(textWithoutStart) ? word : word.toLowerCase();
}
