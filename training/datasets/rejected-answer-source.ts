import type { TokenUsage } from './token-usage.ts';

/**
 * Writes a generic answer to an instruction: the "rejected" side of a preference pair, which the
 * author's own answer (the "chosen" side) should beat. Any model can play it: an LLM endpoint, or
 * the untuned base model, whose bland answers are exactly what preference tuning moves away from.
 */
export interface RejectedAnswerSource {
  /** Which model wrote the rejected answers, recorded in the dataset recipe (`llm:gpt-4o-mini`). */
  readonly name: string;
  /** The prompt template the source uses (`{instruction}` is the instruction), recorded in the recipe. */
  readonly prompt: string;
  generic(instruction: string, signal?: AbortSignal): Promise<string>;
  /** Tokens spent so far, for sources that count them. */
  usage?(): TokenUsage;
}
