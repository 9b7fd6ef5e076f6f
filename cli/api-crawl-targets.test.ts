import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config/load-config.ts';
import { silentLogger } from '../core/logger.ts';
import { makeSampleRepository } from '../datasets/sample-author/make-sample-repo.ts';
import { createApp } from '../inference/index.ts';
import { openRuntime, type Runtime } from './runtime.ts';

const adminKey = 'admin-key-0123456789';

describe('POST /api/crawl on the runtime `twin serve` builds', () => {
  // realpath: the temporary folder itself may sit behind a symlink (macOS /var → /private/var).
  const folder = realpathSync(mkdtempSync(join(tmpdir(), 'twin-api-crawl-')));
  const allowed = join(folder, 'allowed');
  const outside = join(folder, 'outside');
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>['app'];
  let outsideRepository: string;
  let allowedRepository: string;

  const crawl = (targets: string[]) =>
    app.request('/api/crawl', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ targets, authorName: 'Noor Halvorsen', buildFeatures: false }),
    });

  beforeAll(async () => {
    outsideRepository = await makeSampleRepository(join(outside, 'tiny-feature-store'));
    allowedRepository = await makeSampleRepository(join(allowed, 'tiny-feature-store'));
    symlinkSync(outsideRepository, join(allowed, 'link-out'));
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: join(folder, 'data'),
        logLevel: 'silent',
        server: { adminKeys: [adminKey], crawlDirectories: [allowed] },
      },
    });
    runtime = await openRuntime(config, silentLogger);
    // The crawl job is registered by the runtime, as in `twin serve`: a refused target is not
    // merely unhandled, it never reaches the queue.
    ({ app } = createApp(runtime.inference));
  });
  afterAll(async () => {
    await runtime?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('refuses server paths, file:// URLs, relative paths, .. escapes and symlinks out: no job, no document', async () => {
    const refused: [string, RegExp][] = [
      ['/srv/x', /"\/srv\/x" is outside server.crawlDirectories/],
      [outsideRepository, /is outside server.crawlDirectories/],
      [pathToFileURL(outsideRepository).href, /is outside server.crawlDirectories/],
      ['./rel', /"\.\/rel" is a relative path or a bare name/],
      [
        `${allowed}/../outside/tiny-feature-store`,
        /is outside server.crawlDirectories \(after resolving \.\. and symlinks\)/,
      ],
      [join(allowed, 'link-out'), /link-out" is outside server.crawlDirectories/],
    ];
    for (const [target, message] of refused) {
      const response = await crawl([target]);
      expect(response.status, target).toBe(400);
      const body = await response.json();
      expect(body.error).toMatchObject({ type: 'invalid_request_error' });
      expect(body.error.message).toMatch(message);
    }
    // A good target beside a refused one does not get through either.
    expect((await crawl([allowedRepository, '/srv/x'])).status).toBe(400);
    expect(await runtime.metadata.jobs.list({ queue: 'feature' })).toEqual([]);
    expect(await runtime.metadata.documents.count()).toBe(0);
  });

  it('crawls a repository inside an allowed directory, reached through ..', async () => {
    const response = await crawl([`${allowed}/../allowed/tiny-feature-store`]);
    expect(response.status).toBe(202);
    const job = await response.json();
    const finished = await runtime.queue.waitFor(job.id);
    expect(finished).toMatchObject({
      status: 'completed',
      payload: { targets: [allowedRepository] },
    });
    const documents = await runtime.metadata.documents.list();
    expect(documents.map((document) => document.title).sort()).toEqual([
      'tiny-feature-store: .gitignore',
      'tiny-feature-store: Makefile',
      'tiny-feature-store: README.md',
      'tiny-feature-store: docs/design.md',
      'tiny-feature-store: package.json',
      'tiny-feature-store: python/skew_check.py',
      'tiny-feature-store: scripts/backfill.cmd',
      'tiny-feature-store: src/feature-view.ts',
      'tiny-feature-store: src/point-in-time-join.ts',
    ]);
    // Read from the allowed copy, not the one outside.
    const root = `${pathToFileURL(allowedRepository).href}/`;
    expect(documents.filter((document) => !document.sourceUrl.startsWith(root))).toEqual([]);
  });
});
