import autocannon from 'autocannon';
import { readSseData } from '../../core/http/read-sse-data.ts';
import { percentile, round } from '../measure.ts';

export type LoadFigures = {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
};

/**
 * A bounded autocannon run against a server on 127.0.0.1: `connections` clients for
 * `durationSeconds`, cycling through the bodies. Anything but 2xx is counted and reported, so a
 * figure made of error responses cannot pass for a fast server.
 */
export async function loadTest(options: {
  url: string;
  path: string;
  bodies: readonly unknown[];
  connections: number;
  durationSeconds: number;
}): Promise<LoadFigures> {
  if (!options.url.startsWith('http://127.0.0.1:')) throw new Error('the bench only loads 127.0.0.1');
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 30,
    requests: options.bodies.map((body) => ({
      method: 'POST' as const,
      path: options.path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })),
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: round(result.requests.total / result.duration, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** Runs `work` `count` times one after another and returns each run's milliseconds. */
export async function sequentialLatencies(
  count: number,
  work: (index: number) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await work(index);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/**
 * Runs two ways of doing the same request alternately, `count` times each, so drift over the run
 * (JIT warm-up, the page cache, another process on the machine) falls on both series alike.
 */
export async function alternatingLatencies(
  count: number,
  first: (index: number) => Promise<unknown>,
  second: (index: number) => Promise<unknown>,
): Promise<[number[], number[]]> {
  const firstLatencies: number[] = [];
  const secondLatencies: number[] = [];
  for (let index = 0; index < count; index++) {
    firstLatencies.push(...(await sequentialLatencies(1, () => first(index))));
    secondLatencies.push(...(await sequentialLatencies(1, () => second(index))));
  }
  return [firstLatencies, secondLatencies];
}

export function summarise(latencies: readonly number[]): { count: number; p50Ms: number; p99Ms: number } {
  return {
    count: latencies.length,
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
  };
}

/** POSTs JSON and fails on anything but 2xx, reading the whole body. */
export async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * Milliseconds from sending a streaming chat request to the first SSE event that carries answer
 * text (the first event only carries the sources). The rest of the stream is read to the end, so
 * the next request does not compete with this one.
 */
export async function timeToFirstToken(url: string, body: unknown): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok || !response.body) throw new Error(`${url} answered ${response.status}`);
  let firstTokenMs: number | null = null;
  for await (const data of readSseData(response.body)) {
    if (firstTokenMs !== null || data === '[DONE]') continue;
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
    if (chunk.choices?.[0]?.delta?.content) firstTokenMs = performance.now() - started;
  }
  if (firstTokenMs === null) throw new Error('the stream ended without answer text');
  return firstTokenMs;
}
