import { describe, expect, it } from 'vitest';
import { describeOpenAIError } from './openai-error-body.ts';
import { parseRetryAfter, retryAfterFromHeaders } from './retry-after.ts';

describe('parseRetryAfter / retryAfterFromHeaders', () => {
  const now = Date.parse('2026-11-27T12:00:00.000Z');

  it('reads delta-seconds, fractional seconds and HTTP dates', () => {
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Fri, 27 Nov 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('is null when absent or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });

  it("prefers OpenAI's retry-after-ms", () => {
    expect(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(
      250,
    );
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterFromHeaders(new Headers(), now)).toBeUndefined();
  });
});

describe('describeOpenAIError', () => {
  it('reads OpenAI, vLLM and plain-string envelopes, with the code when there is one', () => {
    expect(
      describeOpenAIError(
        '{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}',
      ),
    ).toEqual({ message: 'Incorrect API key', code: 'invalid_api_key' });
    expect(describeOpenAIError('{"error":{"message":"slow down","type":"requests","code":null}}')).toEqual({
      message: 'slow down',
      code: 'requests',
    });
    expect(describeOpenAIError('{"message":"model not found"}')).toEqual({
      message: 'model not found',
      code: null,
    });
    expect(describeOpenAIError('{"error":"overloaded"}')).toEqual({ message: 'overloaded', code: null });
  });

  it('shows the start of a body that is not an error envelope', () => {
    expect(describeOpenAIError('<html>Bad gateway</html>')).toEqual({
      message: '<html>Bad gateway</html>',
      code: null,
    });
    expect(describeOpenAIError('')).toEqual({ message: '(empty body)', code: null });
  });
});
