import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import {
  type RequestHead,
  startRecordingServer,
} from '../../../core/adapters/__fixtures__/start-recording-server.ts';

/** A response as saved under __fixtures__: status, headers, and a JSON `body` or a raw `rawBody`. */
export const RecordedResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown().optional(),
  rawBody: z.string().optional(),
});
export type RecordedResponse = z.infer<typeof RecordedResponse>;

export type UploadedFile = { filename: string; type: string; text: string };

export interface ReceivedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, when the request sent one. */
  json?: unknown;
  /** Parsed multipart body, when the request sent one. */
  form?: { fields: Record<string, string>; files: Record<string, UploadedFile> };
}

export interface ReplayRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Served in order, the last one repeating; or chosen from the request. */
  responses: RecordedResponse[] | ((request: ReceivedRequest) => RecordedResponse);
  /** Problems with the request's shape; any make a 400 and land in `problems`. */
  check?: (request: ReceivedRequest) => string[];
  /** Runs when the request arrives, before answering. */
  onRequest?: (request: ReceivedRequest) => void;
}

export interface ReplayServer {
  /** http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Every request-shape problem the routes' checks found. */
  problems: string[];
  close(): Promise<void>;
}

/** Reads the `response` of a fixture file: a path next to this file (`openai/job-queued.json`) or a URL. */
export async function loadResponse(name: string | URL): Promise<RecordedResponse> {
  const text = await readFile(typeof name === 'string' ? new URL(name, import.meta.url) : name, 'utf8');
  return z.object({ response: RecordedResponse }).parse(JSON.parse(text)).response;
}

/**
 * Replays recorded API responses on 127.0.0.1:0, route by route, after checking each request's
 * shape the way the real API would (multipart uploads, JSON bodies). Unknown routes get a 404 in
 * OpenAI's error shape, so a client that calls the wrong endpoint fails loudly.
 */
export async function startReplayServer(routes: ReplayRoute[]): Promise<ReplayServer> {
  const problems: string[] = [];
  const served = new Map<ReplayRoute, number>();

  const server = await startRecordingServer({
    record: recordRequest,
    respond: (request, response) => {
      const answer = (recorded: RecordedResponse) => {
        const text = recorded.rawBody ?? JSON.stringify(recorded.body ?? null);
        response.writeHead(recorded.status, { 'content-type': 'application/json', ...recorded.headers });
        response.end(text);
      };
      const route = routes.find(
        (candidate) => candidate.method === request.method && candidate.path === request.path,
      );
      if (!route) return answer(openAIError(404, `replay: no route for ${request.method} ${request.path}`));
      const found = route.check?.(request) ?? [];
      if (found.length > 0) {
        problems.push(...found.map((problem) => `${request.method} ${request.path}: ${problem}`));
        return answer(openAIError(400, `replay: bad request: ${found.join('; ')}`));
      }
      route.onRequest?.(request);
      if (typeof route.responses === 'function') return answer(route.responses(request));
      const index = served.get(route) ?? 0;
      served.set(route, index + 1);
      const recorded = route.responses[Math.min(index, route.responses.length - 1)];
      answer(recorded ?? openAIError(500, 'replay: route has no responses'));
    },
  });

  return { baseUrl: `${server.origin}/v1`, requests: server.requests, problems, close: server.close };
}

async function recordRequest(head: RequestHead, raw: Buffer): Promise<ReceivedRequest> {
  const url = new URL(head.path, 'http://replay');
  return {
    method: head.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: head.headers,
    ...(await parseBody(raw, head.headers['content-type'])),
  };
}

async function parseBody(
  raw: Buffer,
  contentType: string | undefined,
): Promise<Pick<ReceivedRequest, 'json' | 'form'>> {
  if (raw.length === 0) return {};
  if (contentType?.startsWith('multipart/form-data')) {
    // undici parses multipart exactly as a server framework would.
    const data = await new Response(new Uint8Array(raw), {
      headers: { 'content-type': contentType },
    }).formData();
    const parts: [string, FormDataEntryValue][] = [];
    data.forEach((value, name) => {
      parts.push([name, value]);
    });
    const fields: Record<string, string> = {};
    const files: Record<string, UploadedFile> = {};
    for (const [name, value] of parts) {
      if (typeof value === 'string') fields[name] = value;
      else files[name] = { filename: value.name, type: value.type, text: await value.text() };
    }
    return { form: { fields, files } };
  }
  try {
    return { json: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { json: raw.toString('utf8') };
  }
}

export function openAIError(status: number, message: string): RecordedResponse {
  return {
    status,
    headers: {},
    body: { error: { message, type: 'invalid_request_error', param: null, code: null } },
  };
}
