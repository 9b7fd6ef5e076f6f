import { countTokens } from '../../core/features/count-tokens.ts';
import {
  approximatePromptBudget,
  approximatePromptTokens,
} from '../../core/models/approximate-prompt-budget.ts';
import type { GenerationSummary } from '../../core/ports/generator.ts';
import type { PromptBudget } from '../../core/ports/runnable-model.ts';
import { extractSentences } from './extract-sentences.ts';
import type { GroundedGenerationRequest, TwinGenerator } from './twin-generator.ts';

export const noGeneratorNotice =
  'Note: no generator is configured for this twin, so this answer quotes the most relevant sentences of the retrieved sources, with their citations.';

export type ExtractiveGeneratorOptions = {
  /** The first line of every answer; says why no model wrote it. */
  notice?: string;
  /** Most sentences quoted. */
  maxSentences?: number;
  /** How much retrieved text the prompt may carry for it to choose from. */
  maxPromptTokens?: number;
};

/**
 * The answer when no model is registered or reachable: the sentences of the retrieved passages
 * that best match the question, in source order, each followed by its citation, under a one-line
 * notice. Reads the request's grounding (the passages as numbered in the prompt), not its text.
 * Deterministic: the same question and passages always give the same answer.
 */
export class ExtractiveGenerator implements TwinGenerator {
  readonly id = 'extractive';
  readonly promptBudget: PromptBudget;
  private readonly notice: string;
  private readonly maxSentences: number;

  constructor(options: ExtractiveGeneratorOptions = {}) {
    this.notice = options.notice ?? noGeneratorNotice;
    this.maxSentences = options.maxSentences ?? 4;
    this.promptBudget = approximatePromptBudget(options.maxPromptTokens ?? 3_000);
  }

  async *stream(request: GroundedGenerationRequest): AsyncGenerator<string, GenerationSummary> {
    const promptTokens = approximatePromptTokens(request.messages);
    const stops = (request.stop ?? []).filter((stop) => stop.length > 0);
    let sent = '';
    const summary = (finishReason: GenerationSummary['finishReason']): GenerationSummary => ({
      finishReason,
      promptTokens,
      completionTokens: countTokens(sent),
    });
    for (const [index, piece] of this.answer(request).entries()) {
      if (request.signal?.aborted) return summary('abort');
      const combined = sent + piece;
      const stopAt = Math.min(...stops.map((stop) => combined.indexOf(stop)).filter((at) => at >= 0));
      if (Number.isFinite(stopAt)) {
        const part = combined.slice(sent.length, Math.max(sent.length, stopAt));
        if (part) {
          sent += part;
          yield part;
        }
        return summary('stop');
      }
      if (countTokens(combined) > request.maxTokens) {
        // Whole sentences or none; the notice says what this answer is, so it goes out as far as
        // the budget allows even when it does not fit whole.
        const part = index === 0 ? leadingWords(piece, request.maxTokens) : '';
        if (part) {
          sent = part;
          yield part;
        }
        return summary('length');
      }
      sent = combined;
      yield piece;
      // Let the event loop run between sentences: streamed responses flush, aborts arrive.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return summary('stop');
  }

  async close(): Promise<void> {}

  /** The whole answer as the pieces it streams in: the notice, then one piece per sentence. */
  private answer(request: GroundedGenerationRequest): string[] {
    const grounding = request.grounding;
    if (!grounding) return [this.notice, '\n\nNo retrieved passages were given to quote from.'];
    if (grounding.sources.length === 0)
      return [this.notice, '\n\nNo passages from my writing were found for this question.'];
    const sentences = extractSentences(grounding.question, grounding.sources, { limit: this.maxSentences });
    if (sentences.length === 0)
      return [this.notice, '\n\nNone of the passages found for this question seem to answer it.'];
    return [
      this.notice,
      ...sentences.map((sentence, index) => {
        const previous = sentences[index - 1];
        const separator = previous?.sourceNumber === sentence.sourceNumber ? ' ' : '\n\n';
        return `${separator}${sentence.text} [${sentence.sourceNumber}]`;
      }),
    ];
  }
}

/** The longest run of whole words from the start of `text` that counts at most `maxTokens` tokens. */
function leadingWords(text: string, maxTokens: number): string {
  let end = 0;
  for (const word of text.matchAll(/\S+/g)) {
    const candidate = text.slice(0, word.index + word[0].length);
    if (countTokens(candidate) > maxTokens) break;
    end = candidate.length;
  }
  return text.slice(0, end);
}
