import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArticlePage, benchSitemap, sampleBlogOrigin } from './bench-site.ts';
import { devtoRoute, type Reply } from './devto-replay.ts';
import { sampleAuthor, sampleAuthorDirectory } from './sample-author.ts';

export type SampleSiteUrls = {
  blogIndex: string;
  blogArticle: string;
  blogFeed: string;
  blogAtom: string;
  blogSitemap: string;
  robots: string;
  /** Disallowed by robots.txt yet listed in the sitemap: a crawler that fetches it has a bug. */
  privatePage: string;
  mediumArticle: string;
  mediumFeed: string;
  substackPost: string;
  substackFeed: string;
  /** What `crawler.devtoApiBase` should be set to. */
  devtoApiBase: string;
  devtoArticlesList: string;
  devtoArticle: string;
  devtoProfile: string;
  /** Present only when `benchPages` > 0. */
  benchSitemap?: string;
};

export type SampleSites = {
  /** The blog (at the root), Medium (under /medium) and Substack (under /substack). */
  baseUrl: string;
  /** The dev.to replica, an origin of its own like the real one. */
  devtoBaseUrl: string;
  urls: SampleSiteUrls;
  /** Every blog article page, oldest first. */
  blogArticles: string[];
  /** Every generated bench page (empty unless `benchPages` > 0). */
  benchPages: string[];
  close(): Promise<void>;
};

export type SampleSitesOptions = { port?: number; host?: string; benchPages?: number };

export const blogArticlePaths = [
  '/posts/three-pipelines-two-stores.html',
  '/posts/a-feature-store-is-a-contract.html',
  '/posts/rollback-is-a-feature.html',
  '/posts/chunking-is-a-product-decision.html',
  '/posts/exact-search-until-it-hurts.html',
  '/posts/evaluate-retrieval-first.html',
  '/posts/version-data-with-content-hashes.html',
  '/posts/polite-crawlers.html',
];

const types = {
  html: 'text/html; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
} as const;

type Origins = { main: string; devto: string };

/**
 * The sample files link to the author's public origins, as real pages do. Served, those origins
 * are mounted on the local servers, so every link a crawler follows stays on 127.0.0.1.
 */
function mountOrigins(text: string, origins: Origins): string {
  const mounts: Record<string, string> = {
    'noorhalvorsen.example': origins.main,
    'medium.com': `${origins.main}/medium`,
    'boringml.substack.com': `${origins.main}/substack`,
    // dev.to gets an origin of its own: its URLs are /USERNAME and /USERNAME/SLUG at the root.
    'dev.to': origins.devto,
  };
  return text.replace(
    /https:\/\/(noorhalvorsen\.example|medium\.com|boringml\.substack\.com|dev\.to)(?=[/"'<\s?#)]|$)/g,
    (_, host: string) => mounts[host] ?? '',
  );
}

async function file(path: string, type: string): Promise<Reply | null> {
  // Refuse anything that normalises outside the sample folder (../ in a crafted URL).
  const absolute = normalize(join(sampleAuthorDirectory, path));
  if (!absolute.startsWith(sampleAuthorDirectory + sep)) return null;
  try {
    return { status: 200, type, body: await readFile(absolute, 'utf8') };
  } catch {
    return null;
  }
}

function typeFor(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name === 'feed.xml') return types.rss;
  if (name === 'atom.xml') return types.atom;
  const extension = name.slice(name.lastIndexOf('.') + 1);
  const byExtension: Record<string, string> = {
    html: types.html,
    xml: types.xml,
    txt: types.text,
    json: types.json,
    css: types.css,
    js: types.js,
    svg: types.svg,
  };
  return byExtension[extension] ?? 'application/octet-stream';
}

async function route(url: URL, benchPages: number): Promise<Reply | null> {
  const path = decodeURIComponent(url.pathname);
  const { mediumHandle } = sampleAuthor;
  if (path.startsWith('/bench/')) {
    if (path === '/bench/sitemap.xml' && benchPages > 0)
      return { status: 200, type: types.xml, body: benchSitemap(benchPages) };
    const page = /^\/bench\/p\/(\d+)\.html$/.exec(path);
    const index = page ? Number(page[1]) : 0;
    if (index >= 1 && index <= benchPages)
      return { status: 200, type: types.html, body: benchArticlePage(index, benchPages) };
    return null;
  }
  if (path === `/medium/feed/${mediumHandle}` || path === `/medium/${mediumHandle}/feed`) {
    return file(`medium/feed-${mediumHandle}.xml`, types.rss);
  }
  if (path.startsWith(`/medium/${mediumHandle}/`)) return file(`${path.slice(1)}.html`, types.html);
  if (path === '/substack/feed') return file('substack/feed.xml', types.rss);
  if (path.startsWith('/substack/p/')) return file(`${path.slice(1).replace(/\/$/, '')}.html`, types.html);
  const sitePath = path.endsWith('/') ? `${path}index.html` : path;
  return file(`site${sitePath}`, typeFor(sitePath));
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  site: keyof Origins,
  origins: Origins,
  benchPages: number,
) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let reply: Reply | null;
  try {
    const url = new URL(request.url ?? '/', origins[site]);
    reply =
      site === 'devto'
        ? await devtoRoute(decodeURIComponent(url.pathname), url.searchParams, sampleAuthorDirectory)
        : await route(url, benchPages);
  } catch {
    reply = null; // malformed percent-encoding and the like: a 404, as a static host would answer
  }
  const { status, type, body } = reply ?? { status: 404, type: types.html, body: '<h1>404 Not Found</h1>\n' };
  const bytes = Buffer.from(type === 'application/octet-stream' ? body : mountOrigins(body, origins), 'utf8');
  response.writeHead(status, {
    'content-type': type,
    'content-length': bytes.length,
    'cache-control': 'no-cache',
  });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}

async function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  port: number,
  host: string,
): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    handler(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { server, origin: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}` };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Serves the sample author's blog, Medium and Substack replicas (and optionally a generated
 * benchmark blog) from one node:http server on 127.0.0.1, port 0 unless told otherwise, and the
 * dev.to replica from a second one (port + 1 when a port is given), since dev.to's own paths
 * (/USERNAME, /api/articles) live at the root of their origin.
 */
export async function startSampleSites(options: SampleSitesOptions = {}): Promise<SampleSites> {
  const host = options.host ?? '127.0.0.1';
  const benchPages = Math.max(0, Math.floor(options.benchPages ?? 0));
  const origins: Origins = { main: '', devto: '' };
  const main = await listen(
    (request, response) => handle(request, response, 'main', origins, benchPages),
    options.port ?? 0,
    host,
  );
  const devto = await listen(
    (request, response) => handle(request, response, 'devto', origins, benchPages),
    options.port ? options.port + 1 : 0,
    host,
  ).catch(async (error: unknown) => {
    await closeServer(main.server);
    throw error;
  });
  origins.main = main.origin;
  origins.devto = devto.origin;
  const baseUrl = main.origin;
  const { mediumHandle, devtoUsername } = sampleAuthor;
  const at = (path: string) => `${baseUrl}${path}`;
  const urls: SampleSiteUrls = {
    blogIndex: at('/'),
    blogArticle: at('/posts/a-feature-store-is-a-contract.html'),
    blogFeed: at('/feed.xml'),
    blogAtom: at('/atom.xml'),
    blogSitemap: at('/sitemap.xml'),
    robots: at('/robots.txt'),
    privatePage: at('/private/draft-grocery-outage-postmortem.html'),
    mediumArticle: at(
      `/medium/${mediumHandle}/embeddings-drift-too-re-embedding-without-downtime-8c1e2f4a9b3d`,
    ),
    mediumFeed: at(`/medium/feed/${mediumHandle}`),
    substackPost: at('/substack/p/i-fine-tuned-a-small-model-on-my-own-writing'),
    substackFeed: at('/substack/feed'),
    devtoApiBase: `${devto.origin}/api`,
    devtoArticlesList: `${devto.origin}/api/articles?username=${devtoUsername}&page=1&per_page=30`,
    devtoArticle: `${devto.origin}/api/articles/1843201`,
    devtoProfile: `${devto.origin}/${devtoUsername}`,
    ...(benchPages > 0 ? { benchSitemap: at('/bench/sitemap.xml') } : {}),
  };
  return {
    baseUrl,
    devtoBaseUrl: devto.origin,
    urls,
    blogArticles: blogArticlePaths.map(at),
    benchPages: Array.from({ length: benchPages }, (_, index) => at(`/bench/p/${index + 1}.html`)),
    close: async () => {
      await Promise.all([closeServer(main.server), closeServer(devto.server)]);
    },
  };
}

export { sampleAuthor, sampleAuthorDirectory, sampleBlogOrigin };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string' },
      bench: { type: 'string', default: '0' },
    },
  });
  const sites = await startSampleSites({
    port: Number(values.port),
    benchPages: Number(values.bench),
    ...(values.host ? { host: values.host } : {}),
  });
  const lines = Object.entries(sites.urls).map(([name, url]) => `  ${name.padEnd(18)} ${url}`);
  process.stdout.write(
    `Sample author sites at ${sites.baseUrl}, dev.to replica at ${sites.devtoBaseUrl} (Ctrl-C to stop)\n${lines.join('\n')}\n`,
  );
  const stop = () => {
    sites.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
