import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  type RecordedRequest,
  recordJsonOrText,
  startRecordingServer,
} from '../../__fixtures__/start-recording-server.ts';

/** A response as saved under __fixtures__ (status, headers, JSON body). */
const RecordedResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown(),
});
export type RecordedResponse = z.infer<typeof RecordedResponse>;

/** One request/response pair to an OpenAI-compatible POST /v1/embeddings. */
const RecordedExchange = z.object({
  request: z.object({
    method: z.literal('POST'),
    path: z.string(),
    body: z.object({
      model: z.string(),
      input: z.array(z.string()),
      encoding_format: z.string().optional(),
      dimensions: z.number().int().optional(),
    }),
  }),
  response: RecordedResponse.extend({
    body: z.looseObject({
      data: z.array(z.object({ index: z.number().int(), embedding: z.array(z.number()) })),
    }),
  }),
});
export type RecordedExchange = z.infer<typeof RecordedExchange>;

export type ReceivedRequest = RecordedRequest;

/** A one-off answer for the next request, whatever it asks; `hang` never answers. */
export type ScriptedResponse =
  | RecordedResponse
  | { hang: true }
  | { status: number; rawBody: string; headers?: Record<string, string> };

export interface OpenAIReplayServer {
  /** http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Queues answers served, in order, before falling back to the recordings. */
  script(...responses: ScriptedResponse[]): void;
  /** Forgets received requests and unused scripted answers, between tests. */
  reset(): void;
  close(): Promise<void>;
}

const fixtures = new URL('./', import.meta.url);

export async function loadExchange(name: string): Promise<RecordedExchange> {
  return RecordedExchange.parse(JSON.parse(await readFile(new URL(name, fixtures), 'utf8')));
}

export async function loadResponse(name: string): Promise<RecordedResponse> {
  const json = z
    .object({ response: RecordedResponse })
    .parse(JSON.parse(await readFile(new URL(name, fixtures), 'utf8')));
  return json.response;
}

/** The recorded vector of `text` in an exchange. */
export function recordedVector(exchange: RecordedExchange, text: string): number[] {
  const position = exchange.request.body.input.indexOf(text);
  const item = exchange.response.body.data.find((entry) => entry.index === position);
  if (position < 0 || !item) throw new Error(`no recorded vector for ${JSON.stringify(text)}`);
  return item.embedding;
}

/**
 * Serves recorded OpenAI embeddings on 127.0.0.1:0. A request is answered from the recording with
 * the same model and `dimensions`, text by text, so any batching of recorded texts replays the
 * vectors the API gave for them; an unrecorded text gets a 400 in OpenAI's error shape.
 */
export async function startOpenAIReplayServer(recordings: RecordedExchange[]): Promise<OpenAIReplayServer> {
  const scripted: ScriptedResponse[] = [];
  const server = await startRecordingServer({
    record: recordJsonOrText,
    respond: (request, response) => {
      const next = scripted.shift();
      if (next && 'hang' in next) return;
      const answer = next ?? replay(recordings, request.method, request.path, request.body);
      const text = 'rawBody' in answer ? answer.rawBody : JSON.stringify(answer.body);
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(text);
    },
  });

  return {
    baseUrl: `${server.origin}/v1`,
    requests: server.requests,
    script: (...responses) => scripted.push(...responses),
    reset: () => {
      server.requests.length = 0;
      scripted.length = 0;
    },
    close: server.close,
  };
}

function replay(
  recordings: RecordedExchange[],
  method: string,
  path: string,
  body: unknown,
): RecordedResponse {
  const parsed = RecordedExchange.shape.request.shape.body.safeParse(body);
  if (method !== 'POST' || !parsed.success) {
    return openAIError(400, `replay: expected POST with an embeddings body, got ${method} ${path}`);
  }
  const { model, input, dimensions } = parsed.data;
  const recording = recordings.find(
    (candidate) =>
      candidate.request.path === path &&
      candidate.request.body.model === model &&
      candidate.request.body.dimensions === dimensions,
  );
  if (!recording)
    return openAIError(400, `replay: nothing recorded for model ${model} with dimensions ${dimensions}`);
  const unknown = input.find((text) => !recording.request.body.input.includes(text));
  if (unknown !== undefined)
    return openAIError(400, `replay: no recorded embedding for ${JSON.stringify(unknown)}`);
  return {
    status: recording.response.status,
    headers: recording.response.headers,
    body: {
      ...recording.response.body,
      data: input.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: recordedVector(recording, text),
      })),
    },
  };
}

function openAIError(status: number, message: string): RecordedResponse {
  return {
    status,
    headers: {},
    body: { error: { message, type: 'invalid_request_error', param: null, code: null } },
  };
}
