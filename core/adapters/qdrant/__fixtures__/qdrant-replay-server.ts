import { readFileSync } from 'node:fs';
import { type RequestHead, startRecordingServer } from '../../__fixtures__/start-recording-server.ts';

/** One recorded answer: a fixture file of this folder, or a raw body (a proxy's text page). */
export type Reply =
  | { status?: number; fixture: string; headers?: Record<string, string> }
  | { status: number; text: string }
  /** Never answers: for client timeouts. */
  | { hang: true };

/** Answers matching requests with `replies` in order; the last reply repeats. */
export type Route = { method: string; path: string; replies: Reply[] };

export type RecordedRequest = {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  apiKey: string | undefined;
};

export type QdrantReplay = {
  url: string;
  requests: RecordedRequest[];
  /** Requests that matched no route (answered 599 so the test fails loudly). */
  unmatched: RecordedRequest[];
  close(): Promise<void>;
};

/**
 * A local stand-in for a Qdrant server that replays recorded Qdrant 1.x REST responses
 * (`{ result, status, time }` envelopes, error bodies `{ status: { error } }`) and records every
 * request the typed client sends, so a test can check both sides of the conversation.
 */
export async function startQdrantReplay(routes: Route[]): Promise<QdrantReplay> {
  const unmatched: RecordedRequest[] = [];
  const served = new Map<Route, number>();
  const server = await startRecordingServer({
    record: recordQdrantRequest,
    respond: (recorded, response) => {
      const route = routes.find((entry) => entry.method === recorded.method && entry.path === recorded.path);
      if (!route) {
        unmatched.push(recorded);
        response.writeHead(599, { 'content-type': 'text/plain' }).end('no recorded response');
        return;
      }
      const index = served.get(route) ?? 0;
      served.set(route, index + 1);
      const reply = route.replies[Math.min(index, route.replies.length - 1)];
      if (!reply || 'hang' in reply) return;
      if ('text' in reply) {
        response.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.text);
        return;
      }
      const body = readFileSync(new URL(reply.fixture, import.meta.url), 'utf8');
      response
        .writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers })
        .end(body);
    },
  });
  return { url: server.origin, requests: server.requests, unmatched, close: server.close };
}

function recordQdrantRequest(head: RequestHead, raw: Buffer): RecordedRequest {
  const url = new URL(head.path, 'http://127.0.0.1');
  const apiKey = head.headers['api-key'];
  return {
    method: head.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body: raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined,
    apiKey: typeof apiKey === 'string' ? apiKey : undefined,
  };
}
