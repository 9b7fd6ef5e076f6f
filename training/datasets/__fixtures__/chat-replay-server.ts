import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** A response as saved under __fixtures__: status, headers and the JSON body (or a raw body). */
const RecordedResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown(),
});
export type RecordedResponse = z.infer<typeof RecordedResponse>;

export type ReceivedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatRequestBody;
};

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
export type Responder = (body: ChatRequestBody, index: number) => RecordedResponse | Promise<RecordedResponse>;

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
  const requests: ReceivedRequest[] = [];
  let responder: Responder = () => openAIError(500, 'replay: no responder set');
  let count = 0;

  const server = createServer(async (request, response) => {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const path = request.url ?? '';
    if (request.method !== 'POST' || !path.endsWith('/chat/completions')) {
      const error = openAIError(404, `replay: unexpected ${request.method} ${path}`);
      response.writeHead(error.status, { 'content-type': 'application/json' }).end(JSON.stringify(error.body));
      return;
    }
    const body = JSON.parse(raw) as ChatRequestBody;
    requests.push({ method: request.method, path, headers: request.headers, body });
    const answer = await responder(body, count++);
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    respondWith: (next) => {
      responder = next;
    },
    sequence: (...responses) => {
      responder = (_body, index) => responses[Math.min(index, responses.length - 1)] as RecordedResponse;
    },
    reset: () => {
      requests.length = 0;
      count = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export function openAIError(status: number, message: string): RecordedResponse {
  return {
    status,
    headers: {},
    body: { error: { message, type: 'invalid_request_error', param: null, code: null } },
  };
}
