import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TinyAdapters, writeTinyAdapters } from '../core/models/__fixtures__/write-tiny-adapters.ts';
import { writeTinyGguf } from '../core/models/__fixtures__/write-tiny-gguf.ts';
import { type SampleSites, startSampleSites } from '../datasets/sample-author/serve-sample-sites.ts';
import { runTwin } from './test-support/run-twin.ts';

/** `twin models register --gguf-adapter FILE --base NAME[:VERSION]` through the real binary. */
describe('twin models register --gguf-adapter', { timeout: 300_000 }, () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-register-adapter-'));
  let sites: SampleSites;
  let tiny: TinyAdapters;
  let global: string[];
  const twin = (...args: string[]) => runTwin([...args, ...global]);

  beforeAll(async () => {
    sites = await startSampleSites();
    const config = join(folder, 'test.yaml');
    writeFileSync(
      config,
      'logLevel: warn\ncrawler:\n  allowLoopback: true\n  perHostDelayMs: 0\nembedder:\n  provider: use-lite\n  workers: 1\n  batchSize: 32\n',
    );
    global = ['--config', config, '--data-dir', join(folder, 'data')];
    // One article is enough for a current feature set to serve the version with.
    const crawled = await twin('crawl', sites.urls.blogArticle, '--author', 'Noor Halvorsen');
    expect(crawled.code, crawled.stderr).toBe(0);
    tiny = await writeTinyAdapters(folder);
    const plain = join(folder, 'plain.gguf');
    await writeTinyGguf(plain);
    for (const [path, name] of [
      [tiny.base.path, 'tiny-base'],
      [plain, 'plain-tiny'],
    ] as const) {
      const pulled = await twin('models', 'pull', `file:${path}`, '--name', name);
      expect(pulled.code, pulled.stderr).toBe(0);
    }
  }, 300_000);
  afterAll(async () => {
    await sites.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('registers an adapter pinned to its base, and shows the base in the lineage', async () => {
    const registered = await twin(
      'models',
      'register',
      'twin',
      '--gguf-adapter',
      tiny.sunny.path,
      '--base',
      'tiny-base',
    );
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toMatch(
      /^registered twin:1 \(gguf-adapter on tiny-base:1\) serving feature set fs_[0-9a-f]{12}\n$/,
    );
    const shown = JSON.parse((await twin('models', 'show', 'twin:1', '--json')).stdout);
    expect(shown).toMatchObject({
      backend: 'gguf-adapter',
      baseModel: 'tiny-base:1',
      artifact: {
        kind: 'gguf-adapter',
        base: { name: 'tiny-base', version: 1, ...tiny.base },
        adapter: tiny.sunny,
      },
    });
    const lineage = await twin('models', 'lineage', 'twin:1');
    expect(lineage.stdout).toContain('model        twin:1 (gguf-adapter, base tiny-base:1)\n');
    expect(lineage.stdout).toContain(
      `base         tiny-base:1 (sha256 ${tiny.base.sha256.slice(0, 12)}…, ${tiny.base.path})\n`,
    );
  });

  it('refuses a missing or misplaced --base, an unknown base and an adapter that does not fit it, registering nothing', async () => {
    const failures = await Promise.all([
      twin('models', 'register', 'twin', '--gguf-adapter', tiny.quiet.path),
      twin('models', 'register', 'twin', '--gguf', tiny.base.path, '--base', 'tiny-base'),
      twin('models', 'register', 'twin', '--gguf-adapter', tiny.quiet.path, '--base', 'ghost'),
      twin('models', 'register', 'twin', '--gguf-adapter', tiny.quiet.path, '--base', 'plain-tiny:1'),
    ]);
    expect(failures.map((failure) => [failure.code, failure.stderr])).toEqual([
      [
        1,
        'error: --gguf-adapter needs --base NAME[:VERSION], the GGUF base model the adapter was trained on\n',
      ],
      [1, 'error: --base goes with --gguf-adapter: it names the base model an adapter was trained on\n'],
      [1, 'error: base model ghost not found (see `twin models list`; pull one with `twin models pull`)\n'],
      [
        1,
        `error: LoRA adapter ${tiny.quiet.path} does not fit base model plain-tiny:1 (a wrong base?): output.weight is [16, 265] in the base, the adapter's pair is for [16, 275]\n`,
      ],
    ]);
    const listed = JSON.parse((await twin('models', 'list', 'twin', '--json')).stdout);
    expect(listed.versions.map((version: { version: number }) => version.version)).toEqual([1]);
  });
});
