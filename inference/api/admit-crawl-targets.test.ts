import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.ts';
import { admitCrawlTargets } from './admit-crawl-targets.ts';

describe('admitCrawlTargets', () => {
  // realpath: the temporary folder itself may sit behind a symlink (macOS /var → /private/var).
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'twin-admit-')));
  const allowed = join(root, 'allowed');
  const outside = join(root, 'outside');
  mkdirSync(join(allowed, 'repo'), { recursive: true });
  mkdirSync(join(outside, 'secret-repo'), { recursive: true });
  writeFileSync(join(allowed, 'export.zip'), 'zip');
  symlinkSync(join(outside, 'secret-repo'), join(allowed, 'link-out'));
  symlinkSync(join(allowed, 'repo'), join(outside, 'link-in'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const refusal = async (target: string, directories: string[] = [allowed]) => {
    const error = await admitCrawlTargets([target], directories).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  };

  it('passes URLs and git addresses through, and turns a bare host into https', async () => {
    expect(
      await admitCrawlTargets(
        [
          'https://noor.example/blog',
          ' http://noor.example/feed.xml ',
          'git@github.com:noor/tiny-feature-store.git',
          'ssh://git@example.com/noor/repo.git',
          'noor.example/blog',
        ],
        [],
      ),
    ).toEqual([
      'https://noor.example/blog',
      'http://noor.example/feed.xml',
      'git@github.com:noor/tiny-feature-store.git',
      'ssh://git@example.com/noor/repo.git',
      'https://noor.example/blog',
    ]);
  });

  it('refuses every local path and file:// URL while no directory is allowed', async () => {
    const message =
      'is a local path: the HTTP API reads no server files unless server.crawlDirectories allows the directory (or run `twin crawl` on the server)';
    expect(await refusal('/srv/x', [])).toBe(`crawl target "/srv/x" ${message}`);
    const url = pathToFileURL(join(allowed, 'repo')).href;
    expect(await refusal(url, [])).toBe(`crawl target "${url}" ${message}`);
    expect(await refusal('FILE:///srv/x', [])).toBe(`crawl target "FILE:///srv/x" ${message}`);
    expect(await refusal(join(allowed, 'repo'), [])).toBe(
      `crawl target "${join(allowed, 'repo')}" ${message}`,
    );
  });

  it('refuses relative paths, home paths and bare names, which mean whatever folder the worker is in', async () => {
    for (const target of ['./rel', '../', 'rel/repo', '~/repo', 'my-export']) {
      expect(await refusal(target)).toBe(
        `crawl target "${target}" is a relative path or a bare name: over HTTP a target is a URL, a git address or an absolute path in server.crawlDirectories`,
      );
    }
  });

  it('refuses schemes other than the web and remote git', async () => {
    expect(await refusal('ftp://example.com/x')).toBe(
      'crawl target "ftp://example.com/x": ftp: URLs are not crawled over HTTP (use http, https, git or ssh)',
    );
    expect(await refusal('file://otherhost/srv/x')).toBe(
      'crawl target "file://otherhost/srv/x" is not a file URL of this server',
    );
  });

  it('refuses paths that lead outside an allowed directory through .. or a symlink', async () => {
    const outsideMessage = (target: string) =>
      `crawl target "${target}" is outside server.crawlDirectories (after resolving .. and symlinks)`;
    for (const target of [
      '/srv/x',
      outside,
      join(outside, 'secret-repo'),
      `${allowed}/../outside/secret-repo`,
      `${allowed}/repo/../../outside`,
      join(allowed, 'link-out'),
      pathToFileURL(join(allowed, 'link-out')).href,
      `${allowed}-sibling`,
    ]) {
      expect(await refusal(target)).toBe(outsideMessage(target));
    }
    expect(await refusal(join(allowed, 'missing'))).toBe(
      `crawl target "${join(allowed, 'missing')}" does not exist on the server`,
    );
  });

  it('admits paths inside an allowed directory as their real path', async () => {
    expect(
      await admitCrawlTargets(
        [
          join(allowed, 'repo'),
          `${allowed}/repo/../repo/`,
          pathToFileURL(join(allowed, 'export.zip')).href,
          // A symlink elsewhere that leads into the allowed directory reads only allowed files.
          join(outside, 'link-in'),
          allowed,
        ],
        [allowed],
      ),
    ).toEqual([
      join(allowed, 'repo'),
      join(allowed, 'repo'),
      join(allowed, 'export.zip'),
      join(allowed, 'repo'),
      allowed,
    ]);
  });

  it('refuses the whole list when one target is refused', async () => {
    const error = await admitCrawlTargets(['https://noor.example/', '/srv/x'], [allowed]).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
  });
});
