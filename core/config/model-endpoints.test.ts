import { describe, expect, it } from 'vitest';
import { modelEndpoints } from './model-endpoints.ts';

describe('modelEndpoints', () => {
  it('hands the configured key only to the configured origin, and the timeout to every endpoint', () => {
    const endpoints = modelEndpoints({
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-secret',
      timeoutMs: 12_000,
    });
    expect(endpoints.apiKeyFor('https://api.openai.com/v1')).toBe('sk-secret');
    expect(endpoints.apiKeyFor('http://127.0.0.1:11434/v1')).toBeNull();
    expect(endpoints.timeoutMs).toBe(12_000);
  });
});
