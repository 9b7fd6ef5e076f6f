import type { ChatMessage, Generator } from './generator.ts';

/**
 * How much prompt a model takes, measured the way it will really read the messages (its own
 * tokenizer, its own chat format), so prompts are cut to what the model actually sees.
 */
export type PromptBudget = {
  maxPromptTokens: number;
  measure(messages: readonly ChatMessage[]): number;
};

/** An answer to score as the model's reply to a conversation (which ends with a user message). */
export type ScoreRequest = { messages: ChatMessage[]; answer: string; signal?: AbortSignal };

/**
 * The natural-log probability the model gives each token of the answer, in order, the end of the
 * turn after it included where the model has one. Perplexity is computed from these alone
 * (`core/models/perplexity.ts`), so every kind of model is measured the same way.
 */
export type AnswerScore = { tokenLogProbabilities: number[] };

interface OpenedModel extends Generator {
  readonly promptBudget: PromptBudget;
}

/** A model that can also score a given answer, token by token. */
export interface ScoringModel extends OpenedModel {
  readonly capabilities: {
    readonly score: true;
    /** Requests worth sending at once. */
    readonly concurrency: number;
  };
  score(request: ScoreRequest): Promise<AnswerScore>;
}

/** A model that only generates: its engine gives no probabilities for a text it did not write. */
export interface GeneratingModel extends OpenedModel {
  readonly capabilities: {
    readonly score: false;
    /** Why this kind cannot score, for the user who expected perplexity. */
    readonly scoreUnavailable: string;
    readonly concurrency: number;
  };
}

/**
 * A registered model version, opened (`core/models/open-model.ts`): it streams chat answers and,
 * where its kind allows it, scores answers. Check `capabilities.score` before calling `score`.
 */
export type RunnableModel = ScoringModel | GeneratingModel;

/** Whether a model scores answers; narrows it to a ScoringModel. */
export function canScore(model: RunnableModel): model is ScoringModel {
  return model.capabilities.score;
}
