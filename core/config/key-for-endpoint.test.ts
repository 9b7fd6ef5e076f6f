import { describe, expect, it } from 'vitest';
import { keyForEndpoint } from './key-for-endpoint.ts';

describe('keyForEndpoint', () => {
  const owner = { baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-secret' };

  it('sends the key to the origin it was configured for, whatever the path', () => {
    expect(keyForEndpoint('https://api.openai.com/v1/', owner)).toBe('sk-secret');
    expect(keyForEndpoint('https://api.openai.com/other', owner)).toBe('sk-secret');
  });

  it('withholds it from every other origin, scheme or port, and from malformed URLs', () => {
    expect(keyForEndpoint('http://127.0.0.1:11434/v1', owner)).toBeNull();
    expect(keyForEndpoint('http://api.openai.com/v1', owner)).toBeNull();
    expect(keyForEndpoint('https://api.openai.com:8443/v1', owner)).toBeNull();
    expect(keyForEndpoint('https://api.openai.com.evil.example/v1', owner)).toBeNull();
    expect(keyForEndpoint('not a url', owner)).toBeNull();
  });
});
