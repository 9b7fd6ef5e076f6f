import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  type RecordedRequest,
  type RequestHead,
  startRecordingServer,
} from '../../../core/adapters/__fixtures__/start-recording-server.ts';

/** A response as saved under __fixtures__: status, headers and the JSON body (or a raw body). */
const RecordedResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown(),
});
export type RecordedResponse = z.infer<typeof RecordedResponse>;

export type ReceivedRequest = RecordedRequest<ChatRequestBody>;

/** The part of a chat-completions request body the tests look at. */
export type ChatRequestBody = {
  model: string;
  temperature?: number;
  messages: { role: string; content: string }[];
  tools?: { type: string; function: { name: string; description?: string; parameters: unknown } }[];
  tool_choice?: unknown;
  response_format?: unknown;
  stream?: boolean;
};

/** Picks the answer to a request; `index` counts requests since the last reset. */
export type Responder = (
  body: ChatRequestBody,
  index: number,
) => RecordedResponse | Promise<RecordedResponse>;

export type ChatReplayServer = {
  /** http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Replaces how requests are answered. */
  respondWith(responder: Responder): void;
  /** Answers requests in this order, repeating the last one when the list runs out. */
  sequence(...responses: RecordedResponse[]): void;
  reset(): void;
  close(): Promise<void>;
};

const fixtures = new URL('./', import.meta.url);

/** Reads `{ "response": { status, headers, body } }` from a fixture file. */
export async function loadResponse(name: string): Promise<RecordedResponse> {
  const json = z
    .object({ response: RecordedResponse })
    .parse(JSON.parse(await readFile(new URL(name, fixtures), 'utf8')));
  return json.response;
}

/**
 * Serves POST /v1/chat/completions on 127.0.0.1:0 from recorded OpenAI responses, recording every
 * request so a test can check what the client really sent.
 */
export async function startChatReplayServer(): Promise<ChatReplayServer> {
  let responder: Responder = () => openAIError(500, 'replay: no responder set');
  let count = 0;

  const server = await startRecordingServer<ReceivedRequest | RequestHead, ReceivedRequest>({
    // Only chat completions are parsed (as JSON) and recorded; anything else stays a bare head and gets a 404.
    record: (head, raw) =>
      head.method === 'POST' && head.path.endsWith('/chat/completions')
        ? { ...head, body: JSON.parse(raw.toString('utf8')) as ChatRequestBody }
        : head,
    keep: (request): request is ReceivedRequest => 'body' in request,
    respond: async (request, response) => {
      if (!('body' in request)) {
        const error = openAIError(404, `replay: unexpected ${request.method} ${request.path}`);
        response
          .writeHead(error.status, { 'content-type': 'application/json' })
          .end(JSON.stringify(error.body));
        return;
      }
      const answer = await responder(request.body, count++);
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(text);
    },
  });

  return {
    baseUrl: `${server.origin}/v1`,
    requests: server.requests,
    respondWith: (next) => {
      responder = next;
    },
    sequence: (...responses) => {
      responder = (_body, index) => responses[Math.min(index, responses.length - 1)] as RecordedResponse;
    },
    reset: () => {
      server.requests.length = 0;
      count = 0;
    },
    close: server.close,
  };
}

export function openAIError(status: number, message: string): RecordedResponse {
  return {
    status,
    headers: {},
    body: { error: { message, type: 'invalid_request_error', param: null, code: null } },
  };
}
