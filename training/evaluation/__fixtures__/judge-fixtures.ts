import type { ChatEndpointConfig } from '../../../core/config/config-schema.ts';
import { loadResponse, type RecordedResponse } from '../../backends/__fixtures__/replay-server.ts';

/** A recorded judge reply from `judge/`. */
export const loadJudgeReply = (name: string): Promise<RecordedResponse> =>
  loadResponse(new URL(`./judge/${name}.json`, import.meta.url));

export function judgeConfig(baseUrl: string, overrides: Partial<ChatEndpointConfig> = {}): ChatEndpointConfig {
  return {
    baseUrl,
    model: 'gpt-4o-2024-08-06',
    apiKey: 'sk-judge',
    temperature: 0,
    timeoutMs: 5_000,
    retries: 1,
    concurrency: 2,
    inputCostPerMillion: 2.5,
    outputCostPerMillion: 10,
    ...overrides,
  };
}
