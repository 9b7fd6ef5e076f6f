import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  type RecordedRequest,
  recordJsonOrText,
  startRecordingServer,
} from '../../adapters/__fixtures__/start-recording-server.ts';

/** A JSON answer as saved under __fixtures__ (status, headers, body). */
const RecordedResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown(),
});
export type RecordedResponse = z.infer<typeof RecordedResponse>;

/**
 * The next answer: a recorded SSE stream of /v1/chat/completions chunks (optionally stalling after
 * `stallAfter` events, the connection left open, as a slow model looks from outside), or JSON.
 */
export type ScriptedAnswer = { sse: string; stallAfter?: number } | { json: RecordedResponse };

export type ReceivedRequest = RecordedRequest;

export interface ChatReplayServer {
  /** http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Queues answers, served in order; a request with none queued gets a 500. */
  script(...answers: ScriptedAnswer[]): void;
  /** Resolves when the client has closed the connection of the stalled stream. */
  stalledStreamClosed(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

const fixtures = new URL('./', import.meta.url);

export async function loadResponse(name: string): Promise<RecordedResponse> {
  return RecordedResponse.parse(JSON.parse(await readFile(new URL(name, fixtures), 'utf8')));
}

/** The `data:` payloads of a recorded stream, in order ([DONE] included). */
export async function loadStreamEvents(name: string): Promise<string[]> {
  const text = await readFile(new URL(name, fixtures), 'utf8');
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

/** Replays recorded chat completions on 127.0.0.1:0, recording every request it gets. */
export async function startChatReplayServer(): Promise<ChatReplayServer> {
  const scripted: ScriptedAnswer[] = [];
  let stalledClosed: (() => void) | undefined;
  let stalledClosedPromise = new Promise<void>((resolve) => {
    stalledClosed = resolve;
  });

  const server = await startRecordingServer({
    record: recordJsonOrText,
    respond: async (_request, response) => {
      const next = scripted.shift();
      if (!next) {
        sendJson(response, {
          status: 500,
          headers: {},
          body: {
            error: { message: 'replay: no answer scripted', type: 'server_error', param: null, code: null },
          },
        });
        return;
      }
      if ('json' in next) {
        sendJson(response, next.json);
        return;
      }
      const events = await loadStreamEvents(next.sse);
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      const count = next.stallAfter ?? events.length;
      for (const event of events.slice(0, count)) response.write(`data: ${event}\n\n`);
      if (count < events.length) {
        response.on('close', () => stalledClosed?.());
        return;
      }
      response.end();
    },
  });

  return {
    baseUrl: `${server.origin}/v1`,
    requests: server.requests,
    script: (...answers) => scripted.push(...answers),
    stalledStreamClosed: () => stalledClosedPromise,
    reset: () => {
      server.requests.length = 0;
      scripted.length = 0;
      stalledClosedPromise = new Promise<void>((resolve) => {
        stalledClosed = resolve;
      });
    },
    close: server.close,
  };
}

function sendJson(response: ServerResponse, answer: RecordedResponse): void {
  response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  response.end(JSON.stringify(answer.body));
}
