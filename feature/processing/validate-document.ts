import type { CleanedDocument } from '../../core/types/cleaned-document.ts';

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether a cleaned document may become features. `seenTexts` maps a hash of cleaned text to the
 * document that first had it, so cross-posted copies are rejected as duplicates.
 */
export function validateDocument(
  document: CleanedDocument,
  textHash: string,
  options: { minCharacters: number; seenTexts: Map<string, string> },
): Verdict {
  const text = document.text.trim();
  if (text.length === 0) return { ok: false, reason: 'empty after cleaning' };
  if (text.length < options.minCharacters) {
    return { ok: false, reason: `too short (${text.length} characters, minimum ${options.minCharacters})` };
  }
  const first = options.seenTexts.get(textHash);
  if (first && first !== document.documentId) return { ok: false, reason: `duplicate of document ${first}` };
  if (document.category !== 'repository' && !/[\p{L}\p{N}]/u.test(text)) {
    return { ok: false, reason: 'no letters or digits' };
  }
  return { ok: true };
}
