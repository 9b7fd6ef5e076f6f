import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ApiEnv } from '../api-env.ts';

/**
 * The web UI's files stay plain HTML, CSS and ES modules under `../web-ui/`, so an editor, Biome
 * and the browser all see them as what they are, and no build step exists. They are read once,
 * when the app is created: a request never touches the disk, and a missing file fails at start.
 */
const folder = new URL('../web-ui/', import.meta.url);
const pages = { '/': 'chat.html', '/models': 'models.html' } as const;
const assetTypes: Record<string, string> = {
  'style.css': 'text/css; charset=utf-8',
  'web-ui.js': 'text/javascript; charset=utf-8',
  'chat.js': 'text/javascript; charset=utf-8',
  'markdown.js': 'text/javascript; charset=utf-8',
  'markdown-blocks.js': 'text/javascript; charset=utf-8',
  'markdown-inline.js': 'text/javascript; charset=utf-8',
  'models.js': 'text/javascript; charset=utf-8',
};

/**
 * Everything the pages load comes from this origin and nothing runs inline: model output that
 * slipped into the DOM as markup still could not execute. `connect-src 'self'` keeps API keys on
 * this server.
 */
export const webUiContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

type Asset = { body: string; type: string; etag: string };

/**
 * `GET /` (chat), `GET /models` (registry) and their assets under `/ui/<build>/…`. The build id is
 * a hash of every asset, so assets are cached as immutable and a new release is a new URL; the
 * pages themselves revalidate on every load (ETag). Plain `app.get`: these are not API routes, so
 * they stay out of /openapi.json.
 */
export function webUiRoutes(app: OpenAPIHono<ApiEnv>): void {
  const assets = new Map<string, Asset>(
    Object.entries(assetTypes).map(([name, type]) => {
      const body = readFileSync(new URL(name, folder), 'utf8');
      return [name, { body, type, etag: etagOf(body) }];
    }),
  );
  const build = createHash('sha256')
    .update([...assets.values()].map((asset) => asset.etag).join())
    .digest('hex')
    .slice(0, 12);
  const security = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };

  for (const [path, file] of Object.entries(pages)) {
    const body = readFileSync(new URL(file, folder), 'utf8').replaceAll('{{assets}}', `/ui/${build}`);
    const page = { body, type: 'text/html; charset=utf-8', etag: etagOf(body) };
    app.get(path, (context) =>
      send(context, page, {
        ...security,
        'content-security-policy': webUiContentSecurityPolicy,
        'cache-control': 'no-cache',
      }),
    );
  }

  app.get('/ui/:build/:file', (context) => {
    const asset = assets.get(context.req.param('file'));
    if (!asset) return context.notFound();
    // A page from an older build may still ask for its old URL: answer, but do not pin it.
    const current = context.req.param('build') === build;
    return send(context, asset, {
      ...security,
      'cache-control': current ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  });
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

function send(context: Context, asset: Asset, headers: Record<string, string>): Response {
  const all = { ...headers, etag: asset.etag };
  if (context.req.header('if-none-match') === asset.etag) return context.body(null, 304, all);
  return context.body(asset.body, 200, { ...all, 'content-type': asset.type });
}
