import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  type RecordedRequest,
  recordJsonOrText,
  startRecordingServer,
} from '../../../core/adapters/__fixtures__/start-recording-server.ts';

/** A chat-completions exchange as saved under __fixtures__/chat (request trimmed, response as sent). */
const RecordedExchange = z.object({
  request: z.object({ method: z.literal('POST'), path: z.string(), body: z.unknown() }),
  response: z.object({
    status: z.number().int(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown(),
  }),
});
export type RecordedExchange = z.infer<typeof RecordedExchange>;

export type ReceivedRequest = RecordedRequest;

export type ChatReplayServer = {
  /** http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Queues recorded exchanges (by file name) to answer the next requests with, in order. */
  play(...names: string[]): Promise<void>;
  reset(): void;
  close(): Promise<void>;
};

export async function loadChatExchange(name: string): Promise<RecordedExchange> {
  return RecordedExchange.parse(
    JSON.parse(await readFile(new URL(`./chat/${name}`, import.meta.url), 'utf8')),
  );
}

/**
 * Replays recorded OpenAI chat-completions responses on 127.0.0.1:0, one per request in the order
 * they were queued. A request to another path, or with nothing queued, gets an OpenAI-shaped 404.
 */
export async function startChatReplayServer(): Promise<ChatReplayServer> {
  const queued: RecordedExchange[] = [];
  const server = await startRecordingServer({
    record: recordJsonOrText,
    respond: (request, response) => {
      const next = queued[0];
      if (!next || request.method !== 'POST' || request.path !== next.request.path) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: { message: `replay: nothing queued for ${request.method} ${request.path}` },
          }),
        );
        return;
      }
      queued.shift();
      response.writeHead(next.response.status, {
        'content-type': 'application/json',
        ...next.response.headers,
      });
      response.end(JSON.stringify(next.response.body));
    },
  });
  return {
    baseUrl: `${server.origin}/v1`,
    requests: server.requests,
    play: async (...names) => {
      for (const name of names) queued.push(await loadChatExchange(name));
    },
    reset: () => {
      server.requests.length = 0;
      queued.length = 0;
    },
    close: server.close,
  };
}
