import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HubFile = { repository: string; commit: string; file: string; bytes: Buffer };

export type HubServer = {
  url: string;
  /** `METHOD /path` of every request, in order. */
  requests: string[];
  /** Branch → commit; a test moves a branch by setting it. */
  branches: Map<string, string>;
  close(): Promise<void>;
};

/**
 * A stand-in for huggingface.co on 127.0.0.1 with its URL shapes: `/OWNER/REPO/resolve/REV/FILE`
 * answers 302 to a content host path with `X-Repo-Commit` (HEAD and GET alike), a branch resolves
 * to its commit, and anything unknown is a 404 with the hub's `X-Error-Code`.
 */
export async function startHubServer(
  files: HubFile[],
  branches: Record<string, string> = {},
): Promise<HubServer> {
  const requests: string[] = [];
  const heads = new Map(Object.entries(branches));
  const server = createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(`${request.method} ${url}`);
    const blob = /^\/cdn\/(\d+)$/.exec(url);
    if (blob) {
      const file = files[Number(blob[1])];
      if (!file) return response.writeHead(404).end();
      response.writeHead(200, { 'content-length': String(file.bytes.length) });
      return response.end(request.method === 'HEAD' ? undefined : file.bytes);
    }
    const resolved = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    if (resolved) {
      const [, repository, revision, path] = resolved as unknown as [string, string, string, string];
      const commit = heads.get(decodeURIComponent(revision)) ?? decodeURIComponent(revision);
      const index = files.findIndex(
        (file) =>
          file.repository === repository && file.commit === commit && file.file === decodeURIComponent(path),
      );
      if (index !== -1) {
        return response.writeHead(302, { location: `/cdn/${index}`, 'x-repo-commit': commit }).end();
      }
    }
    response.writeHead(404, 'Not Found', { 'x-error-code': 'EntryNotFound' }).end();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    branches: heads,
    close: async () => {
      server.close();
      await once(server, 'close');
    },
  };
}
