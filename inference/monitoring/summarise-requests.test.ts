import { describe, expect, it } from 'vitest';
import type { RequestLog } from '../../core/types/request-log.ts';
import { sampleQuestions, summariseRequests } from './summarise-requests.ts';

function log(index: number, overrides: Partial<RequestLog> = {}): RequestLog {
  return {
    id: `r${index}`,
    at: new Date(Date.UTC(2026, 4, 1, 0, 0, index)).toISOString(),
    route: '/v1/chat/completions',
    status: 200,
    model: 'twin:1',
    featureSetId: 'fs_0123456789ab',
    question: `question ${index % 7}`,
    filters: {},
    retrieved: [
      { chunkId: `c${index}`, documentId: index % 2 ? 'odd' : 'even', score: 0.5 },
      { chunkId: `x${index}`, documentId: index % 2 ? 'odd' : 'even', score: 0.4 },
      { chunkId: `y${index}`, documentId: 'always', score: 0.3 },
    ],
    timings: { embedMs: 10, totalMs: 20 + index },
    promptTokens: 5,
    completionTokens: 7,
    durationMs: index + 1,
    error: null,
    ...overrides,
  };
}

describe('summariseRequests', () => {
  it('gives latency percentiles, error rate, stage means, tokens and the most retrieved documents', () => {
    const logs = [
      ...Array.from({ length: 99 }, (_, index) => log(index)),
      log(99, { status: 502, route: '/api/search', model: null, error: 'upstream down' }),
    ];
    const summary = summariseRequests(logs, { top: 2 });
    expect(summary).toMatchObject({ requests: 100, errors: 1, errorRate: 0.01 });
    expect(summary.latencyMs).toEqual({ p50: 50, p95: 95, p99: 99, max: 100 });
    expect(summary.byRoute).toEqual({ '/v1/chat/completions': 99, '/api/search': 1 });
    expect(summary.byModel['—']).toBe(1);
    expect(summary.stageMeansMs.embedMs).toBe(10);
    expect(summary.tokens).toEqual({ prompt: 500, completion: 700 });
    // Counted once per request, not per chunk.
    expect(summary.topDocuments).toEqual([
      { documentId: 'always', count: 100 },
      { documentId: 'even', count: 50 },
    ]);
  });

  it('handles no requests', () => {
    expect(summariseRequests([])).toMatchObject({ requests: 0, errorRate: 0, latencyMs: { p50: 0 } });
  });
});

describe('sampleQuestions', () => {
  it('samples distinct answered questions deterministically', () => {
    const logs = [
      ...Array.from({ length: 30 }, (_, index) => log(index)),
      log(30, { question: 'broken', status: 500 }),
    ];
    const first = sampleQuestions(logs, 5);
    expect(first).toHaveLength(5);
    expect(new Set(first.map((entry) => entry.question)).size).toBe(5);
    expect(first.some((entry) => entry.question === 'broken')).toBe(false);
    expect(sampleQuestions(logs, 5).map((entry) => entry.id)).toEqual(first.map((entry) => entry.id));
    expect(sampleQuestions(logs, 50)).toHaveLength(7);
  });
});
