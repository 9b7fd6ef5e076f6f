import { contentTerms } from '../../core/text/content-terms.ts';
import type { GroundingSource } from './twin-generator.ts';

/** A sentence of a source, where it came from and how well it answers. */
export type ExtractedSentence = { text: string; sourceNumber: number; position: number; score: number };

const causal = /\b(because|since|due to|so that|the reason|which is why|that is why)\b/i;

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Prose sentences of a passage: headings, code and fragments are left out. */
export function sentencesOf(text: string): string[] {
  const sentences: string[] = [];
  let inCode = false;
  for (const line of text.split(/\n+/)) {
    const trimmed = line.trim();
    if (trimmed.startsWith('```')) {
      inCode = !inCode;
      continue;
    }
    if (inCode || !trimmed || trimmed.startsWith('#')) continue;
    const prose = trimmed.replace(/^([-*+]|\d+\.)\s+/, '');
    for (const { segment } of segmenter.segment(prose)) {
      const sentence = segment.trim();
      if (isProse(sentence)) sentences.push(sentence);
    }
  }
  return sentences;
}

function isProse(sentence: string): boolean {
  if (sentence.length < 20 || sentence.length > 600) return false;
  if (sentence.split(/\s+/).length < 4) return false;
  const letters = sentence.match(/[\p{L}\s]/gu)?.length ?? 0;
  return letters / sentence.length >= 0.75;
}

/**
 * The sentences that best answer `question`: each scores the rarity-weighted count of question
 * terms it contains (a term found in every sentence tells nothing), plus a small bonus for the
 * source's rank (and, for a "why", a bonus when it gives a reason); sentences sharing no term
 * are never picked. The best `limit` are returned in
 * source order, then reading order, so the answer reads as the passages do.
 */
export function extractSentences(
  question: string,
  sources: readonly GroundingSource[],
  options: { limit?: number } = {},
): ExtractedSentence[] {
  const asked = new Set(contentTerms(question));
  // A "why" is answered by a reason: such sentences weigh as much as one more shared term.
  const wantsReason = /\bwhy\b/i.test(question);
  const candidates = sources.flatMap((source) =>
    sentencesOf(source.text).map((text, position) => ({
      text,
      sourceNumber: source.number,
      position,
      terms: new Set(contentTerms(text)),
    })),
  );
  const frequency = new Map<string, number>();
  for (const candidate of candidates)
    for (const term of candidate.terms)
      if (asked.has(term)) frequency.set(term, (frequency.get(term) ?? 0) + 1);
  const scored = candidates
    .map((candidate) => {
      let overlap = 0;
      for (const term of candidate.terms) {
        const count = frequency.get(term);
        if (count) overlap += Math.log(1 + candidates.length / count);
      }
      if (overlap === 0) return { ...candidate, score: 0 };
      const reason = wantsReason && causal.test(candidate.text) ? Math.log(1 + candidates.length) : 0;
      return { ...candidate, score: overlap + reason + 0.5 / candidate.sourceNumber };
    })
    .filter((candidate) => candidate.score > 0);
  const order = (
    a: { sourceNumber: number; position: number },
    b: { sourceNumber: number; position: number },
  ) => a.sourceNumber - b.sourceNumber || a.position - b.position;
  return scored
    .sort((a, b) => b.score - a.score || order(a, b))
    .slice(0, options.limit ?? 4)
    .sort(order)
    .map(({ text, sourceNumber, position, score }) => ({ text, sourceNumber, position, score }));
}
