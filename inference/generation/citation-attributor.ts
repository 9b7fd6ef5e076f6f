import {
  type GroundingPassage,
  isClaim,
  support,
  supportThreshold,
} from '../../core/evaluation/grounding.ts';
import { contentTerms } from '../../core/text/content-terms.ts';

const markerText = /^\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]$/;
// What a marker can be while it is still arriving: `[`, `[1`, `[1,`, `[1, 2]`.
const markerPrefix = /^\[(?:\d{1,2}(?:\s*,\s*\d{0,2})*)?\]?$/;
const terminators = new Set(['.', '!', '?']);
// Closing quotes and brackets that may follow a full stop and still end the sentence.
const closers = new Set(['"', "'", '”', '’', ')', '*', '_']);

/**
 * Makes a streamed answer's citations true, as it streams:
 * - a marker naming a passage that was not given (`[7]` of 5) is dropped, and a marker listing
 *   several keeps only the given numbers;
 * - a finished sentence that cites nothing, but is supported by a given passage (the same test as
 *   the groundedness metric, `supportThreshold`), gets that passage's marker after it.
 *
 * Text is held back only while it could still be a marker, and whitespace until the next word (so
 * a dropped marker leaves no double space and an added one lands after the full stop). Fenced
 * code passes through untouched. Nothing is invented: an unsupported sentence stays uncited.
 */
export class CitationAttributor {
  private readonly passages: { number: number; terms: Set<string> }[];
  private held = '';
  private marker: string | null = null;
  private sentence = '';
  private cited = false;
  private ended = false;
  private line = '';
  private inCode = false;
  private dropped = false;
  private out = '';
  /** Markers dropped and added so far, for the answer's record. */
  readonly changes = { dropped: 0, added: 0 };

  constructor(passages: readonly GroundingPassage[]) {
    this.passages = passages.map((passage) => ({
      number: passage.number,
      terms: new Set(contentTerms(passage.text)),
    }));
  }

  /** Takes the next piece of the answer; returns what may be shown now. */
  push(text: string): string {
    for (const character of text) this.take(character);
    return this.flushOut();
  }

  /** The answer is complete: returns the rest, the last sentence's citation included. */
  end(): string {
    if (this.marker !== null) {
      const pending = this.marker;
      this.marker = null;
      if (markerText.test(pending)) this.resolveMarker(pending);
      else this.word(pending);
    }
    this.finishSentence();
    this.out += this.held;
    this.held = '';
    return this.flushOut();
  }

  private take(character: string): void {
    if (this.marker !== null) {
      const candidate = this.marker + character;
      if (this.marker.endsWith(']')) {
        this.marker = null;
        // `[1](url)` is a Markdown link, not a citation.
        if (character === '(') this.word(candidate);
        else {
          this.resolveMarker(candidate.slice(0, -1));
          this.take(character);
        }
        return;
      }
      if (markerPrefix.test(candidate) && candidate.length <= 16) {
        this.marker = candidate;
        return;
      }
      this.marker = null;
      this.word(candidate);
      return;
    }
    if (this.inCode) {
      this.emit(character);
      return;
    }
    if (/\s/.test(character)) {
      if (character === '\n' || this.endsSentence()) this.ended ||= this.sentence.trim().length > 0;
      // A dropped marker between two spaces would leave both.
      if (!(this.dropped && character === ' ' && this.held.endsWith(' '))) this.held += character;
      return;
    }
    if (character === '[' && this.canOpenMarker()) {
      this.marker = '[';
      return;
    }
    this.word(character);
  }

  /** A marker may open after whitespace, punctuation or at the start, never inside a word. */
  private canOpenMarker(): boolean {
    if (this.held.length > 0) return true;
    const previous = this.line.at(-1);
    return previous === undefined || !/[\p{L}\p{N}_`\]]/u.test(previous);
  }

  private endsSentence(): boolean {
    let text = this.sentence.trimEnd();
    while (text.length > 0 && closers.has(text.at(-1) as string)) text = text.slice(0, -1);
    return terminators.has(text.at(-1) ?? '');
  }

  /** Ordinary text: closes the finished sentence first (its citation goes before the gap). */
  private word(text: string): void {
    if (this.ended) this.finishSentence();
    this.dropped = false;
    this.sentence += this.held + text;
    this.emit(this.held);
    this.held = '';
    this.emit(text);
  }

  private resolveMarker(text: string): void {
    const numbers = (markerText.exec(text)?.[1] ?? '').split(',').map((part) => Number.parseInt(part, 10));
    const given = numbers.filter((number) => this.passages.some((passage) => passage.number === number));
    this.changes.dropped += numbers.length - given.length;
    if (given.length === 0) {
      this.dropped = true;
      return;
    }
    this.sentence += this.held;
    this.emit(this.held);
    this.held = '';
    this.emit(`[${given.join(', ')}]`);
    this.cited = true;
  }

  /** Adds the supporting passage's marker to an uncited sentence, then starts the next one. */
  private finishSentence(): void {
    const sentence = this.sentence.trim();
    // A heading names a topic; it claims nothing (the metric leaves headings out too).
    if (!this.cited && !sentence.startsWith('#') && isClaim(sentence)) {
      let best: { number: number; share: number } | null = null;
      for (const passage of this.passages) {
        const share = support(sentence, passage.terms);
        if (share >= supportThreshold && (best === null || share > best.share))
          best = { number: passage.number, share };
      }
      if (best) {
        this.emit(` [${best.number}]`);
        this.changes.added++;
      }
    }
    this.sentence = '';
    this.cited = false;
    this.ended = false;
  }

  /** Tracks fenced code by line: a line opening with ``` toggles it. */
  private endLine(): void {
    if (this.line.trimStart().startsWith('```')) {
      this.inCode = !this.inCode;
      // The fence line is not prose: nothing is attributed to it.
      this.sentence = '';
      this.cited = false;
      this.ended = false;
    }
    this.line = '';
  }

  private emit(text: string): void {
    if (!text) return;
    this.out += text;
    for (const character of text) {
      if (character === '\n') this.endLine();
      else this.line += character;
    }
  }

  private flushOut(): string {
    const text = this.out;
    this.out = '';
    return text;
  }
}
