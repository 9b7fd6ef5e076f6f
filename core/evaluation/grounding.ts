import { contentTerms } from '../text/content-terms.ts';

/** A passage the answer was given, by the number the prompt showed it with. */
export type GroundingPassage = { number: number; text: string };

/**
 * A citation marker: `[3]`, `[1, 2]` (numbers 1–99), not a Markdown link `[1](url)` and not an
 * index such as `items[1]` (a marker follows a space, punctuation or the start of a line).
 */
export const citationMarker = /(?<![\p{L}\p{N}_`])\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\](?!\()/gu;

/**
 * A sentence is supported by a passage when at least this share of its distinct content words
 * (contentTerms: stop words dropped, plurals folded) occur in the passage. Half is the usual bar of
 * lexical attribution: a paraphrase of the passage keeps its nouns and verbs, an invented claim
 * brings its own.
 */
export const supportThreshold = 0.5;

/**
 * A sentence with fewer distinct content words than this makes no claim to ground ("The answer
 * is:", "I think so."): it is neither counted by groundedness nor given a citation.
 */
export const minimumClaimTerms = 3;

/** Whether a sentence says enough to be checked against the passages (see minimumClaimTerms). */
export function isClaim(sentence: string): boolean {
  return new Set(contentTerms(sentence.replace(citationMarker, ' '))).size >= minimumClaimTerms;
}

/** The numbers of every citation marker in `text`, in order, repeats kept. */
export function citedNumbers(text: string): number[] {
  return [...text.matchAll(citationMarker)].flatMap((match) =>
    (match[1] as string).split(',').map((part) => Number.parseInt(part.trim(), 10)),
  );
}

/** The share (0–1) of the sentence's distinct content words that the passage contains. */
export function support(sentence: string, passage: string | ReadonlySet<string>): number {
  const terms = new Set(contentTerms(sentence.replace(citationMarker, ' ')));
  if (terms.size === 0) return 0;
  const vocabulary = typeof passage === 'string' ? new Set(contentTerms(passage)) : passage;
  let found = 0;
  for (const term of terms) if (vocabulary.has(term)) found++;
  return found / terms.size;
}

/** An answer sentence with the passage numbers it cites. */
export type AnswerSentence = { text: string; cited: number[] };

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
const leadingMarkers = /^(?:\s*\[\d{1,2}(?:\s*,\s*\d{1,2})*\](?!\())+/u;

/**
 * The claims of an answer (isClaim; code blocks and headings left out), each with its citations.
 * Markers that open a sentence belong to the one before ("…a retrain. [2] Then…"), as models
 * and people write them after the full stop.
 */
export function answerSentences(answer: string): AnswerSentence[] {
  const sentences: AnswerSentence[] = [];
  let inCode = false;
  for (const line of answer.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('```')) {
      inCode = !inCode;
      continue;
    }
    if (inCode || !trimmed || trimmed.startsWith('#')) continue;
    const prose = trimmed.replace(/^(?:[-*+]|\d+\.)\s+/, '');
    for (const { segment } of segmenter.segment(prose)) {
      let text = segment.trim();
      const lead = text.match(leadingMarkers)?.[0];
      const previous = sentences[sentences.length - 1];
      if (lead && previous) {
        previous.cited.push(...citedNumbers(lead));
        text = text.slice(lead.length).trim();
      }
      if (text) sentences.push({ text, cited: citedNumbers(text) });
    }
  }
  return sentences.filter((sentence) => isClaim(sentence.text));
}

export type GroundingScore = {
  /** Prose sentences that make a claim (isClaim). */
  sentences: number;
  /** Of those, the ones that cite a given passage which supports them (see `supportThreshold`). */
  supported: number;
  /** supported / sentences; 0 for an answer with no sentence. */
  groundedness: number;
  /** Citation markers' numbers in the answer. */
  citations: number;
  /** Of those, the ones naming a passage that was given. */
  validCitations: number;
  /** validCitations / citations; 1 when the answer cites nothing (no citation is invalid). */
  citationValidity: number;
};

/**
 * The two grounding metrics of an answer given these passages:
 * - groundedness: the share of its sentences supported by a passage they cite;
 * - citation validity: the share of its citations that name a passage that was given.
 */
export function scoreGrounding(answer: string, passages: readonly GroundingPassage[]): GroundingScore {
  const given = new Map(passages.map((passage) => [passage.number, new Set(contentTerms(passage.text))]));
  const sentences = answerSentences(answer);
  let supported = 0;
  for (const sentence of sentences) {
    const best = Math.max(
      0,
      ...sentence.cited.flatMap((number) => {
        const vocabulary = given.get(number);
        return vocabulary ? [support(sentence.text, vocabulary)] : [];
      }),
    );
    if (best >= supportThreshold) supported++;
  }
  const numbers = citedNumbers(answer);
  const validCitations = numbers.filter((number) => given.has(number)).length;
  return {
    sentences: sentences.length,
    supported,
    groundedness: sentences.length === 0 ? 0 : supported / sentences.length,
    citations: numbers.length,
    validCitations,
    citationValidity: numbers.length === 0 ? 1 : validCitations / numbers.length,
  };
}
