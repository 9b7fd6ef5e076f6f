import type { ServerResponse } from 'node:http';
import {
  type RecordedRequest,
  recordJsonOrText,
  startRecordingServer,
} from '../../adapters/__fixtures__/start-recording-server.ts';
import { OpenAIHttpClient, type OpenAIHttpClientOptions } from '../openai-http-client.ts';

/** What the server does with the next request: answer, hang, or stream text (then end or go quiet). */
export type ScriptedAnswer =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { hang: true }
  | { stream: string[]; thenHang?: boolean };

export interface ScriptedOpenAIServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: RecordedRequest[];
  /** Answers for the next requests, in order; a request with none gets a 500. */
  answers: ScriptedAnswer[];
  /** Event streams whose connection has closed, from either side. */
  closedStreams(): number;
  /** The waits the clients it made asked for (never spent). */
  sleeps: number[];
  /** A client for this server: key sk-test, 2 s timeout, 2 retries from 100 ms, waits recorded. */
  client(overrides?: Partial<OpenAIHttpClientOptions>): OpenAIHttpClient;
  reset(): void;
  close(): Promise<void>;
}

/** The error body OpenAI sends with a 500. */
export const serverError = {
  error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null },
};

/** A scripted OpenAI-compatible server on 127.0.0.1:0 for the HTTP client's own tests. */
export async function startScriptedOpenAIServer(): Promise<ScriptedOpenAIServer> {
  const answers: ScriptedAnswer[] = [];
  const sleeps: number[] = [];
  let closed = 0;
  const respond = (answer: ScriptedAnswer | undefined, response: ServerResponse) => {
    if (!answer) {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'test: no answer scripted' } }));
      return;
    }
    if ('hang' in answer) return;
    if ('stream' in answer) {
      response.on('close', () => {
        closed++;
      });
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of answer.stream) response.write(piece);
      if (!answer.thenHang) response.end();
      return;
    }
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  };
  const server = await startRecordingServer({
    record: recordJsonOrText,
    respond: (_request, response) => respond(answers.shift(), response),
  });
  return {
    origin: server.origin,
    requests: server.requests,
    answers,
    sleeps,
    closedStreams: () => closed,
    client: (overrides = {}) =>
      new OpenAIHttpClient({
        baseUrl: `${server.origin}/v1/`,
        apiKey: 'sk-test',
        timeoutMs: 2_000,
        retries: 2,
        backoffMs: 100,
        // Record the waits instead of spending them; the tests stay fast and never assert on time.
        sleep: async (milliseconds) => {
          sleeps.push(milliseconds);
        },
        ...overrides,
      }),
    reset: () => {
      server.requests.length = 0;
      answers.length = 0;
      sleeps.length = 0;
      closed = 0;
    },
    close: server.close,
  };
}
