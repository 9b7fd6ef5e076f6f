import { countTokens } from '../features/count-tokens.ts';
import type { ChatMessage } from '../ports/generator.ts';
import type { PromptBudget } from '../ports/runnable-model.ts';

/**
 * A budget for engines whose tokenizer we do not have (remote endpoints): the project's
 * tokenizer-free estimate plus OpenAI's documented overhead of about four tokens per message and
 * three to prime the reply. Close enough to keep well inside a context window, not exact.
 */
export function approximatePromptBudget(maxPromptTokens: number): PromptBudget {
  return { maxPromptTokens, measure: approximatePromptTokens };
}

export function approximatePromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + countTokens(message.content) + 4, 3);
}
