import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What arrived before the body: the method, the request target as sent (query string included), headers. */
export interface RequestHead {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** A request as most replay fixtures record it: its head and its parsed body. */
export interface RecordedRequest<Body = unknown> extends RequestHead {
  body: Body;
}

export interface RecordingServerOptions<Recorded, Kept extends Recorded = Recorded> {
  /** Builds the record of a request from its head and its whole raw body (see `recordJsonOrText`). */
  record(head: RequestHead, raw: Buffer): Recorded | Promise<Recorded>;
  /** Which records `requests` keeps; every one by default. */
  keep?(recorded: Recorded): recorded is Kept;
  /** Answers a recorded request; a responder that never ends `response` leaves the client hanging. */
  respond(recorded: Recorded, response: ServerResponse): void | Promise<void>;
}

export interface RecordingServer<Recorded> {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The records kept, oldest first; empty it with `requests.length = 0`. */
  requests: Recorded[];
  /** Drops open connections (hanging requests, stalled streams, keep-alive sockets) and stops. */
  close(): Promise<void>;
}

/** A JSON body parsed; any other body, the empty one included, as its UTF-8 text. */
export function parseJsonOrText(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The usual record: the head, and the body as `parseJsonOrText` reads it. */
export function recordJsonOrText(head: RequestHead, raw: Buffer): RecordedRequest {
  return { ...head, body: parseJsonOrText(raw) };
}

/**
 * Starts a local HTTP server on 127.0.0.1:0 for a replay fixture: it reads each request's whole
 * body, records the request (`record`, `keep`) before answering it (`respond`), so a test can
 * check what its client really sent.
 */
export async function startRecordingServer<Recorded, Kept extends Recorded = Recorded>(
  options: RecordingServerOptions<Recorded, Kept>,
): Promise<RecordingServer<Kept>> {
  const requests: Kept[] = [];
  const keep = options.keep ?? ((_recorded: Recorded): _recorded is Kept => true);
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const head = { method: request.method ?? '', path: request.url ?? '', headers: request.headers };
    const recorded = await options.record(head, Buffer.concat(chunks));
    if (keep(recorded)) requests.push(recorded);
    await options.respond(recorded, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Hanging requests and the client's keep-alive sockets would hold the server open.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
