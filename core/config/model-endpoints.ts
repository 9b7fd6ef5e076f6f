import type { ModelEndpoints } from '../models/open-model.ts';
import { keyForEndpoint } from './key-for-endpoint.ts';

/**
 * How registered models behind OpenAI-compatible endpoints are reached, from the configured OpenAI
 * settings: the configured key goes only to the endpoint it was configured for (see
 * `keyForEndpoint`), and the configured timeout to every endpoint.
 */
export function modelEndpoints(openai: {
  baseUrl: string;
  apiKey: string | null;
  timeoutMs: number;
}): ModelEndpoints {
  return {
    apiKeyFor: (baseUrl) => keyForEndpoint(baseUrl, openai),
    timeoutMs: openai.timeoutMs,
  };
}
