import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferenceConfig } from '../../core/config/inference-config.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import {
  type ChatReplayServer,
  startChatReplayServer,
} from '../../core/models/__fixtures__/chat-replay-server.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import { type EmbeddedApiStores, openEmbeddedApiStores } from './__fixtures__/embedded-api-stores.ts';
import { createApp } from './create-app.ts';

const apiKey = 'ui-api-key-0123456789';
const adminKey = 'ui-admin-key-0123456789';
const streamedAnswer =
  'I’d rather ship a small model I understand than a large one I rent [1].\n\nIn my experience, the evaluation set matters more than the architecture [2].';
// What a training backend stores (training/backends/loss-curve-svg.ts draws the real ones).
const storedCurve =
  '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="240" viewBox="0 0 480 240"><polyline fill="none" stroke="#1f5fbf" points="10,20 240,160 470,220"/></svg>';

/**
 * The web UI end to end: the real app on a real port, the pages in Debian's headless Chromium, a
 * twin whose model is a local OpenAI-compatible replay server (recorded chunks, no network).
 */
describe('web UI', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-web-ui-'));
  let stores: EmbeddedApiStores;
  let metadata: MetadataStore;
  let replay: ChatReplayServer;
  let server: ReturnType<typeof serve>;
  let browser: Browser;
  let origin: string;
  let gateMetric: string;

  beforeAll(async () => {
    replay = await startChatReplayServer();
    const loaded = loadConfig({ env: {}, overrides: { dataDir: folder } });
    const config = {
      ...loaded,
      server: { ...loaded.server, apiKeys: [apiKey], adminKeys: [adminKey] },
    };
    gateMetric = inferenceConfig(config).promotionGate.metric;
    stores = await openEmbeddedApiStores(folder, config);
    metadata = stores.metadata;
    const { artifacts, featureSet } = stores;
    // Titles that would be markup if the page inserted them as HTML.
    const title = (documentId: string) => ({
      title: `<img src=x onerror="document.title='pwned'"> ${documentId}`,
    });
    await stores.storeChunks([
      [
        'small-models',
        'I would rather ship a small model I understand than a large one I rent.',
        title('small-models'),
      ],
      [
        'evaluation',
        'The evaluation set matters more than the architecture of the model.',
        title('evaluation'),
      ],
      ['crawl', 'Polite crawlers read robots.txt and wait between requests.', title('crawl')],
    ]);
    await artifacts.put('models/twin/2/loss-curve.svg', storedCurve);
    // v1 ← v2 ← v3: v1 has a curve as points only, v2 a stored image, v3 no metrics at all.
    const versions = [
      { parent: null, dataset: 'ds_00000000000a', metrics: { [gateMetric]: 0.31, style: 0.72 } },
      { parent: 1, dataset: 'ds_00000000000b', metrics: { [gateMetric]: 0.35 } },
      { parent: 2, dataset: 'ds_00000000000c', metrics: {} },
    ];
    for (const [index, version] of versions.entries()) {
      await metadata.models.register({
        name: 'twin',
        backend: 'openai-compatible',
        baseModel: 'gpt-4o-mini',
        hyperparameters: { epochs: 3 },
        datasetId: version.dataset,
        featureSetId: featureSet.id,
        parentVersion: version.parent,
        metrics: version.metrics,
        lossCurve:
          index === 0
            ? [0, 10, 20, 30].map((step) => ({
                step,
                trainLoss: 2.5 - step / 20,
                validationLoss: 2.6 - step / 25,
              }))
            : [],
        artifact: { kind: 'openai-compatible', baseUrl: replay.baseUrl, model: `ft:twin-${index + 1}` },
        lossCurveKey: index === 1 ? 'models/twin/2/loss-curve.svg' : null,
        jobId: null,
        createdBy: 'test',
      });
    }
    await metadata.models.moveAlias({ name: 'twin', alias: 'production', toVersion: 1, movedBy: 'test' });

    // The stores close the dependencies (and their generators) they handed out.
    const { app } = createApp(stores.dependencies());
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (server) {
      // A stopped answer may leave its upstream request open; do not wait for it.
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await replay?.close();
    await stores?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A fresh page that fails the test on any script error or CSP violation it logs. */
  async function openPage(path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
        problems.push(message.text());
    });
    await page.goto(`${origin}${path}`);
    return { page, problems };
  }

  it('serves the pages with a strict CSP, immutable assets and no OpenAPI clutter', async () => {
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    const script = /src="(\/ui\/[0-9a-f]{12}\/chat\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${origin}${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toContain('/v1/chat/completions');
    const css = await fetch(`${origin}${script?.replace('chat.js', 'style.css')}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const etag = page.headers.get('etag') as string;
    expect((await fetch(`${origin}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${origin}${script?.replace('chat.js', 'secret.ts')}`)).status).toBe(404);
    const models = await fetch(`${origin}/models`);
    expect(await models.text()).toContain('/models.js');

    const curve = await fetch(`${origin}/api/models/twin/versions/2/loss-curve.svg`);
    expect(curve.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(curve.headers.get('content-security-policy')).toContain('sandbox');
    expect(await curve.text()).toBe(storedCurve);
    const none = await fetch(`${origin}/api/models/twin/versions/1/loss-curve.svg`);
    expect(none.status).toBe(404);
    expect((await none.json()).error.message).toMatch(/twin:1 has no stored loss curve/);

    const paths = Object.keys((await (await fetch(`${origin}/openapi.json`)).json()).paths);
    expect(paths).toContain('/api/models/{name}/versions/{version}/loss-curve.svg');
    expect(paths).not.toContain('/');
    expect(paths.some((path) => path.startsWith('/ui') || path === '/models')).toBe(false);
  });

  it('streams an answer with its sources and the version that answered; a wrong key is shown, not lost', async () => {
    const { page, problems } = await openPage('/');
    await expect.poll(() => page.locator('#model option').allTextContents()).toContain('twin:3');
    expect(await page.locator('#model').inputValue()).toBe('twin');

    // A wrong API key: the OpenAI-shaped 401 is shown and the question stays in the box.
    await page.fill('#api-key', 'wrong-key-0123456789');
    await page.fill('#question', 'Would you rather ship a small model?');
    await page.click('#send');
    await expect
      .poll(() => page.locator('#error').textContent())
      .toMatch(/401 invalid_api_key: invalid API key/);
    expect(await page.locator('#question').inputValue()).toBe('Would you rather ship a small model?');
    expect(await page.locator('.message').count()).toBe(0);

    // The right key; the model stalls after a few words, so what shows must have been streamed.
    await page.fill('#api-key', apiKey);
    replay.script({ sse: 'openai-chat-stream.sse', stallAfter: 6 });
    await page.click('#send');
    const first = page.locator('.message.assistant').first();
    await expect.poll(() => first.locator('.answer').textContent()).toBe('I’d rather ship a');
    expect(await first.getAttribute('data-state')).toBe('streaming');
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(await first.locator('.model-version').textContent()).toBe('twin:1');
    const sources = first.locator('.sources li');
    expect(await sources.count()).toBeGreaterThanOrEqual(2);
    expect(await sources.first().locator('a').getAttribute('href')).toMatch(/^https:\/\/example\.com\//);
    // Titles are text: the markup in them is shown, not run.
    expect(await sources.first().textContent()).toContain('<img src=x');
    expect(await page.locator('.sources img').count()).toBe(0);
    await page.click('#stop');
    await expect.poll(() => first.getAttribute('data-state')).toBe('stopped');

    // A follow-up (Enter sends) streams to the end; the history goes with it.
    replay.script({ sse: 'openai-chat-stream.sse' });
    await page.fill('#question', 'And what matters more than the architecture?');
    await page.press('#question', 'Enter');
    const second = page.locator('.message.assistant').nth(1);
    await expect.poll(() => second.getAttribute('data-state')).toBe('done');
    // Two paragraphs of Markdown; the citations' brackets become chips (valid or not, by the sources).
    expect(await second.locator('.answer p').allTextContents()).toEqual(
      streamedAnswer.split('\n\n').map((paragraph) => paragraph.replace(/\[(\d)\]/g, (_, number) => number)),
    );
    expect(await second.locator('.model-version').textContent()).toBe('twin:1');
    expect(await page.locator('#chat-status').textContent()).toMatch(
      /^Answer from twin:1 finished, with \d sources\.$/,
    );
    expect(await second.locator('.sources li').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#question').inputValue()).toBe('');
    const upstream = (replay.requests.at(-1)?.body as { messages?: unknown[] } | undefined)?.messages;
    expect(upstream).toEqual(
      expect.arrayContaining([
        { role: 'user', content: 'Would you rather ship a small model?' },
        { role: 'assistant', content: 'I’d rather ship a' },
      ]),
    );

    const screenshot = join(tmpdir(), `twin-web-ui-chat-${process.pid}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    const png = readFileSync(screenshot);
    rmSync(screenshot);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(5_000);

    // The key is remembered by this browser, and nothing ran that should not have.
    await page.reload();
    expect(await page.locator('#api-key').inputValue()).toBe(apiKey);
    expect(await page.title()).toBe('LLM Twin · Chat');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders the answer as Markdown while it streams, with citations that open and point at their source', async () => {
    const { page, problems } = await openPage('/');
    // The sources' pages, served to this browser only: a click on a citation must not leave the machine.
    await page
      .context()
      .route('https://example.com/**', (route) =>
        route.fulfill({ contentType: 'text/html', body: '<title>source</title>' }),
      );
    await page.fill('#api-key', apiKey);
    const answer = page.locator('.message.assistant .answer');

    // Stalled after "## Why I ship small models\n\nI’d rather ship a **small": the heading is already
    // rendered, and the bold that has not closed yet shows its stars.
    replay.script({ sse: 'openai-chat-stream-markdown.sse', stallAfter: 17 });
    await page.fill('#question', 'Would you rather ship a small model?');
    await page.click('#send');
    await expect.poll(() => answer.locator('p').textContent()).toBe('I’d rather ship a **small');
    expect(await answer.locator('h2').textContent()).toBe('Why I ship small models');
    expect(await answer.locator('strong').count()).toBe(0);
    await page.click('#stop');
    await page.click('#new-conversation');

    replay.script({ sse: 'openai-chat-stream-markdown.sse' });
    await page.fill('#question', 'Would you rather ship a small model?');
    await page.click('#send');
    const turn = page.locator('.message.assistant');
    await expect.poll(() => turn.getAttribute('data-state')).toBe('done');
    expect(await answer.locator('h2').textContent()).toBe('Why I ship small models');
    expect(await answer.locator('strong').allTextContents()).toEqual(['small model', 'nested']);
    expect(await answer.locator('em').allTextContents()).toEqual(['Evaluation']);
    expect(await answer.locator('ol > li').count()).toBe(2);
    expect(await answer.locator('ol > li ul > li').textContent()).toBe('even when nested');
    expect(await answer.locator('pre code.language-ts').textContent()).toBe(
      "const cited = '[1] **not bold**';",
    );
    expect(await answer.locator(':not(pre) > code').textContent()).toBe('[1]');
    expect(await answer.locator('blockquote').textContent()).toBe(
      `<img src=x onerror="document.title='pwned'"> is shown as text, and [this](javascript:document.title='pwned') is not a link.`,
    );
    // Outside code, no Markdown syntax is left as text.
    const prose = await answer.evaluate((node) => {
      const copy = node.cloneNode(true) as HTMLElement;
      for (const code of Array.from(copy.querySelectorAll('pre, code'))) code.remove();
      return copy.textContent ?? '';
    });
    expect(prose).not.toMatch(/##|\*\*|```/);
    const post = answer.locator('a:not(.citation)');
    expect(await post.count()).toBe(1);
    expect(await post.getAttribute('href')).toBe('https://example.com/posts/small-models');
    expect(await post.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(await post.getAttribute('target')).toBe('_blank');

    // [1] is a chip linking to source 1 with its title. The model also wrote [9], which names no
    // given source: the server drops it (withCitations), so the page never shows it. (The page
    // strikes such a marker through when one arrives; markdown.test.ts covers that.)
    const source = turn.locator('.sources li[data-source="1"]');
    const sourceUrl = await source.locator('a').getAttribute('href');
    expect(sourceUrl).toMatch(/^https:\/\/example\.com\//);
    const citation = answer.locator('.citation:not(.invalid)');
    expect(await citation.count()).toBe(1);
    expect(await citation.evaluate((node) => node.tagName)).toBe('A');
    expect(await citation.textContent()).toBe('1');
    expect(await citation.getAttribute('href')).toBe(sourceUrl);
    expect(await citation.getAttribute('title')).toBe(await source.locator('a').textContent());
    expect(await answer.locator('.citation.invalid').count()).toBe(0);
    expect(await answer.textContent()).not.toContain('[9]');
    const [opened] = await Promise.all([page.waitForEvent('popup'), citation.click()]);
    await opened.waitForLoadState();
    expect(opened.url()).toBe(sourceUrl);
    await opened.close();
    await expect.poll(() => source.getAttribute('class')).toBe('cited');

    // The history keeps what the model wrote, not what the page made of it.
    replay.script({ sse: 'openai-chat-stream.sse' });
    await page.fill('#question', 'And the evaluation set?');
    await page.click('#send');
    await expect.poll(() => turn.nth(1).getAttribute('data-state')).toBe('done');
    const history = (
      replay.requests.at(-1)?.body as { messages?: { role: string; content: string }[] } | undefined
    )?.messages;
    expect(history?.find((message) => message.role === 'assistant')?.content).toMatch(
      /^## Why I ship small models\n\nI’d rather ship a \*\*small model\*\*/,
    );

    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('a[href^="javascript"]').count()).toBe(0);
    expect(await page.title()).toBe('LLM Twin · Chat');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows lineage, metrics and loss curves, and promotes and rolls back with the admin key', async () => {
    const { page, problems } = await openPage('/models');
    const version = (number: number) => page.locator(`article.version[data-version="${number}"]`);
    await version(3).waitFor();
    expect(await version(3).locator('[data-field="lineage"]').textContent()).toBe('v3 ← v2 ← v1');
    expect(await version(3).locator('[data-field="parents"] li').allTextContents()).toEqual([
      expect.stringMatching(/^v2: ds_00000000000b · fs_/),
      expect.stringMatching(/^v1: ds_00000000000a · fs_/),
    ]);
    expect(await version(2).locator('[data-field="dataset"]').textContent()).toBe('ds_00000000000b');
    expect(await version(2).locator('[data-field="hyperparameters"]').textContent()).toBe('{"epochs":3}');
    expect(await version(1).locator('[data-field="feature-set"]').textContent()).toMatch(/^fs_/);
    expect(await version(1).locator('.metrics').textContent()).toContain(`${gateMetric}0.3100`);
    expect(await version(1).locator('.loss-curve svg polyline').count()).toBe(2);
    const image = version(2).locator('.loss-curve img');
    await expect.poll(() => image.evaluate((node) => (node as HTMLImageElement).naturalWidth)).toBe(480);
    expect(await version(3).textContent()).toContain('No evaluation metrics yet.');
    expect(await version(1).locator('.badge').allTextContents()).toEqual(['production']);

    // Without the admin key, and with a wrong one: refused, shown, nothing moved.
    await version(2).locator('[data-action="promote"]').click();
    await expect
      .poll(() => page.locator('#error').textContent())
      .toMatch(/401 invalid_api_key: missing API key/);
    await page.fill('#admin-key', 'not-the-admin-key');
    await version(2).locator('[data-action="promote"]').click();
    await expect.poll(() => page.locator('#error').textContent()).toMatch(/invalid API key/);
    expect((await metadata.models.getAlias('twin', 'production'))?.version).toBe(1);

    // The gate refuses a version without the metric, then lets a better one through.
    await page.fill('#admin-key', adminKey);
    await version(3).locator('.gate-input').check();
    await version(3).locator('[data-action="promote"]').click();
    await expect
      .poll(() => page.locator('#error').textContent())
      .toMatch(/refused by the gate: twin:3 has no/);
    await version(2).locator('.gate-input').check();
    await version(2).locator('[data-action="promote"]').click();
    await expect
      .poll(() => page.locator('#status').textContent())
      .toBe('Gate passed; promoted: twin@production now points at v2 (was v1).');
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect((await metadata.models.getAlias('twin', 'production'))?.version).toBe(2);
    await expect.poll(() => version(2).locator('.badge').allTextContents()).toEqual(['production']);

    await page.locator('[data-alias="production"] [data-action="rollback"]').click();
    await expect
      .poll(() => page.locator('#status').textContent())
      .toMatch(/^Rolled back: .* now points at v1/);
    expect((await metadata.models.getAlias('twin', 'production'))?.version).toBe(1);
    const moves = (await metadata.models.aliasHistory('twin', 'production')).filter(
      (event) => event.movedBy === 'web-ui',
    );
    expect(moves.map((event) => event.toVersion).sort()).toEqual([1, 2]);

    // The admin key lives in this tab only (sessionStorage), never in localStorage.
    expect(await page.evaluate(() => sessionStorage.getItem('twin.adminKey'))).toBe(adminKey);
    expect(await page.evaluate(() => localStorage.getItem('twin.adminKey'))).toBeNull();
    expect(problems).toEqual([]);
    await page.close();
  });
});
