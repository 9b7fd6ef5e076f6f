import { sha256 } from '../../core/hashing.ts';
import type { RequestLog } from '../../core/types/request-log.ts';

export type RequestSummary = {
  requests: number;
  errors: number;
  errorRate: number;
  byRoute: Record<string, number>;
  byModel: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Mean milliseconds per retrieval stage, over the requests that ran it. */
  stageMeansMs: Record<string, number>;
  tokens: { prompt: number; completion: number };
  topDocuments: { documentId: string; count: number }[];
};

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] as number;
}

/** Latency percentiles, error rate, stage times and the most retrieved documents of a set of requests. */
export function summariseRequests(
  logs: readonly RequestLog[],
  options: { top?: number } = {},
): RequestSummary {
  const latencies = logs.map((log) => log.durationMs).sort((a, b) => a - b);
  const count = (key: (log: RequestLog) => string) =>
    logs.reduce<Record<string, number>>((counts, log) => {
      counts[key(log)] = (counts[key(log)] ?? 0) + 1;
      return counts;
    }, {});
  const stages = new Map<string, { total: number; n: number }>();
  const documents = new Map<string, number>();
  for (const log of logs) {
    for (const [stage, milliseconds] of Object.entries(log.timings)) {
      const entry = stages.get(stage) ?? { total: 0, n: 0 };
      entry.total += milliseconds;
      entry.n += 1;
      stages.set(stage, entry);
    }
    // A document counts once per request, however many of its chunks came back.
    for (const documentId of new Set(log.retrieved.map((hit) => hit.documentId))) {
      documents.set(documentId, (documents.get(documentId) ?? 0) + 1);
    }
  }
  const errors = logs.filter((log) => log.status >= 400).length;
  return {
    requests: logs.length,
    errors,
    errorRate: logs.length === 0 ? 0 : errors / logs.length,
    byRoute: count((log) => log.route),
    byModel: count((log) => log.model ?? '—'),
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? 0,
    },
    stageMeansMs: Object.fromEntries([...stages].map(([stage, entry]) => [stage, entry.total / entry.n])),
    tokens: {
      prompt: logs.reduce((sum, log) => sum + log.promptTokens, 0),
      completion: logs.reduce((sum, log) => sum + log.completionTokens, 0),
    },
    topDocuments: [...documents]
      .sort(([idA, a], [idB, b]) => b - a || (idA < idB ? -1 : 1))
      .slice(0, options.top ?? 10)
      .map(([documentId, n]) => ({ documentId, count: n })),
  };
}

/**
 * A deterministic sample of answered questions, one per distinct question, for an evaluation set:
 * ordered by a hash of the question so the same logs always give the same sample.
 */
export function sampleQuestions(logs: readonly RequestLog[], size: number, seed = 'twin'): RequestLog[] {
  const distinct = new Map<string, RequestLog>();
  for (const log of logs) {
    const key = log.question.trim().toLowerCase();
    if (log.status < 400 && key && !distinct.has(key)) distinct.set(key, log);
  }
  return [...distinct.values()]
    .map((log) => ({ log, rank: sha256(`${seed}\u0000${log.question}`) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : 1))
    .slice(0, size)
    .map((entry) => entry.log);
}
