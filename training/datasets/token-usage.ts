import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';
import type { Dataset } from '../../core/types/dataset.ts';

export type TokenUsage = { promptTokens: number; completionTokens: number };

/** What LLM generation cost, as a dataset records it. */
export type UsageSummary = NonNullable<Dataset['usage']>;

export const noUsage: TokenUsage = { promptTokens: 0, completionTokens: 0 };

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
  };
}

/** Tokens with their cost in USD; the cost is null when the endpoint's prices are unknown (local servers). */
export function usageSummary(
  usage: TokenUsage,
  prices: Pick<ChatEndpointConfig, 'inputCostPerMillion' | 'outputCostPerMillion'>,
): UsageSummary {
  const { inputCostPerMillion, outputCostPerMillion } = prices;
  const costUsd =
    inputCostPerMillion === null || outputCostPerMillion === null
      ? null
      : (usage.promptTokens * inputCostPerMillion + usage.completionTokens * outputCostPerMillion) /
        1_000_000;
  return { ...usage, costUsd };
}
