import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SampleSites, startSampleSites } from '../datasets/sample-author/serve-sample-sites.ts';
import { helpInProcess } from './test-support/help-in-process.ts';
import { runTwin } from './test-support/run-twin.ts';

const twin = runTwin;

describe('twin CLI end to end', () => {
  let sites: SampleSites;
  const folder = mkdtempSync(join(tmpdir(), 'twin-cli-'));
  const configFile = join(folder, 'test.yaml');
  let global: string[];

  beforeAll(async () => {
    sites = await startSampleSites();
    writeFileSync(
      configFile,
      `logLevel: warn\ncrawler:\n  allowLoopback: true\n  perHostDelayMs: 0\n  devtoApiBase: ${sites.urls.devtoApiBase}\nembedder:\n  provider: use-lite\n  workers: 1\n  batchSize: 32\n`,
    );
    global = ['--config', configFile, '--data-dir', join(folder, 'data')];
  });
  afterAll(async () => {
    await sites.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('has --help for every command', { timeout: 180_000 }, async () => {
    const commands = [
      [],
      ['config'],
      ['crawl'],
      ['features'],
      ['features', 'build'],
      ['features', 'list'],
      ['documents'],
      ['documents', 'list'],
      ['documents', 'show'],
      ['documents', 'remove'],
      ['search'],
      ['jobs'],
      ['jobs', 'list'],
      ['jobs', 'show'],
      ['jobs', 'cancel'],
      ['datasets', 'build'],
      ['datasets', 'export'],
      ['train'],
      ['eval'],
      ['models', 'promote'],
      ['models', 'rollback'],
      ['models', 'register'],
      ['serve'],
      ['chat'],
      ['batch'],
      ['monitor'],
      ['migrate'],
      ['worker'],
    ];
    // The real binary for the top level and one subcommand; the rest parse in this process, because
    // 28 binaries started at once each load every module and starve a busy machine for a minute.
    const spawned = await Promise.all([twin(['--help']), twin(['crawl', '--help'])]);
    const results = [spawned[0], await helpInProcess(['config']), spawned[1]];
    for (const command of commands.slice(3)) results.push(await helpInProcess(command));
    results.forEach((result, index) => {
      expect(result?.code, commands[index]?.join(' ')).toBe(0);
      expect(result?.stdout).toMatch(/^Usage: twin/m);
    });
    expect(results[2]?.stdout).toContain('--author <name>');
    expect(results[2]?.stdout).toBe(await helpInProcess(['crawl']).then((result) => result.stdout));
  });

  it('prints the effective config with secrets masked, and fails listing every problem', async () => {
    const shown = await twin(['config', '--json', ...global], { TWIN_CRAWLER__TIMEOUT_MS: '4321' });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).crawler.timeoutMs).toBe(4321);

    const broken = join(folder, 'broken.yaml');
    writeFileSync(broken, 'crawler:\n  concurrency: zero\nembedder:\n  provider: nope\n');
    const failed = await twin(['config', '--config', broken]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/Invalid configuration/);
    expect(failed.stderr).toMatch(/crawler\.concurrency/);
    expect(failed.stderr).toMatch(/embedder\.provider/);
  });

  it('refuses loopback targets under the default config with a clear reason', async () => {
    const refused = await twin([
      'crawl',
      sites.urls.blogArticle,
      '--author',
      'Someone',
      '--data-dir',
      join(folder, 'refused'),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/failed/);
    expect(refused.stdout).toMatch(/loopback/i);
  });

  // Ten real CLI processes in a row, each loading the embedder: slow on a loaded 2-core machine.
  it('crawls, lists, searches, shows and removes', { timeout: 300_000 }, async () => {
    const crawled = await twin(['crawl', sites.urls.blogFeed, '--author', 'Sample Author', ...global]);
    expect(crawled.code, crawled.stderr).toBe(0);
    expect(crawled.stdout).toMatch(/Crawl finished in .*: \d+ fetched \(\d+ new/);
    expect(crawled.stdout).toMatch(/Features fs_[0-9a-f]{12}: \d+ documents processed into \d+ chunks/);

    const again = await twin([
      'crawl',
      sites.urls.blogFeed,
      '--author',
      'Sample Author',
      '--json',
      ...global,
    ]);
    const repeated = JSON.parse(again.stdout);
    expect(repeated.crawl.created).toBe(0);
    expect(repeated.crawl.updated).toBe(0);
    expect(repeated.crawl.unchanged).toBeGreaterThan(3);
    expect(repeated.features).toBeNull();

    const features = await twin(['features', 'list', '--json', ...global]);
    const [featureSet] = JSON.parse(features.stdout);
    expect(featureSet).toMatchObject({ current: true, spec: { embedder: { dimensions: 512 } } });
    expect(featureSet.vectors).toBe(featureSet.chunks);

    const listed = await twin(['documents', 'list', '--json', ...global]);
    const documents = JSON.parse(listed.stdout) as { id: string; title: string; platform: string }[];
    expect(documents.length).toBe(repeated.crawl.unchanged);
    expect(documents.every((document) => document.platform === 'web')).toBe(true);

    const searched = await twin(['search', 'training-serving skew', '-k', '3', '--json', ...global]);
    expect(searched.code, searched.stderr).toBe(0);
    const { hits } = JSON.parse(searched.stdout) as {
      hits: { score: number; payload: { text: string; documentId: string } }[];
    };
    expect(hits).toHaveLength(3);
    expect(hits[0]?.score).toBeGreaterThan(hits[2]?.score ?? 1);
    expect(hits.map((hit) => hit.payload.text.toLowerCase()).join(' ')).toMatch(/skew/);

    const target = hits[0]?.payload.documentId as string;
    const shown = await twin(['documents', 'show', target, ...global]);
    expect(shown.stdout).toMatch(/features\s+fs_[0-9a-f]{12} \(\d+ chunks\)/);

    const removed = await twin(['documents', 'remove', target, ...global]);
    expect(removed.stdout).toMatch(new RegExp(`removed ${target} and [1-9]\\d* vectors`));
    const afterwards = await twin(['search', 'training-serving skew', '-k', '10', '--json', ...global]);
    expect(
      JSON.parse(afterwards.stdout).hits.some(
        (hit: { payload: { documentId: string } }) => hit.payload.documentId === target,
      ),
    ).toBe(false);

    const missing = await twin(['documents', 'show', target, ...global]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/document .* not found/);
  });

  it('rejects bad arguments with a clear message', async () => {
    const badK = await twin(['search', 'x', '-k', 'lots', ...global]);
    expect(badK.code).not.toBe(0);
    expect(badK.stderr).toMatch(/--k must be a positive integer/);
    const badSource = await twin([
      'crawl',
      'https://example.com',
      '--author',
      'A',
      '--source',
      'myspace',
      ...global,
    ]);
    expect(badSource.code).not.toBe(0);
    expect(badSource.stderr).toMatch(/Allowed choices are/);
    const noAuthor = await twin(['crawl', 'https://example.com', ...global]);
    expect(noAuthor.stderr).toMatch(/required option '-a, --author <name>'/);
  });
});
