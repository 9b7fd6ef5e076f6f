import type { GenerationRequest, GenerationSummary, Generator } from '../../core/ports/generator.ts';
import type { PromptBudget } from '../../core/ports/runnable-model.ts';

/** One retrieved passage as it was numbered in the prompt. */
export type GroundingSource = { number: number; title: string; url: string; text: string };

/** The question and the numbered passages a prompt was built from (see `PromptTemplate.buildMessages`). */
export type Grounding = { question: string; sources: GroundingSource[] };

/**
 * A generation request that may carry its grounding. Model-backed generators read only the
 * messages; the extractive fallback answers from the grounding, which no chat message can carry
 * without being parsed back out of rendered text.
 */
export type GroundedGenerationRequest = GenerationRequest & { grounding?: Grounding };

/** A core `Generator` that also states its prompt budget; what inference/generation hands out. */
export interface TwinGenerator extends Generator {
  readonly promptBudget: PromptBudget;
  stream(request: GroundedGenerationRequest): AsyncGenerator<string, GenerationSummary>;
}
