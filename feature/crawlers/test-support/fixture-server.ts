import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A canned response; `body` strings are sent as UTF-8 unless already a Buffer. */
export type FixtureResponse = { status?: number; headers?: Record<string, string>; body?: string | Buffer };
export type FixtureHandler = (request: IncomingMessage, response: ServerResponse) => void;
export type FixtureRoute = FixtureResponse | FixtureHandler;

export type FixtureServer = {
  origin: string;
  url(path: string): string;
  /** Paths (with query) in arrival order. */
  requests: string[];
  /** Requests for one path (with query), robots.txt included. */
  count(path: string): number;
  /** Adds or replaces a route while the server runs. */
  route(path: string, route: FixtureRoute): void;
  close(): Promise<void>;
};

/**
 * A fixture site on 127.0.0.1, port 0. Routes match the path with its query first, then the path
 * alone; anything else is a 404 (so robots.txt is "missing" unless a test serves one).
 */
export async function startFixtureServer(routes: Record<string, FixtureRoute> = {}): Promise<FixtureServer> {
  const table = new Map(Object.entries(routes));
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    const route = table.get(path) ?? table.get(path.split('?')[0] ?? path);
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (typeof route === 'function') {
      route(request, response);
      return;
    }
    const body = route.body ?? '';
    response.writeHead(route.status ?? 200, { 'content-type': 'text/html; charset=utf-8', ...route.headers });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    count: (path) => requests.filter((request) => request === path).length,
    route: (path, route) => table.set(path, route),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
