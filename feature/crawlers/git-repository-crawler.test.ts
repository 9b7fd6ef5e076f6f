import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load-config.ts';
import { CrawlError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import type { RepositoryDocument } from '../../core/types/raw-document.ts';
import {
  makeSampleRepository,
  sampleRepositoryLastCommitDate,
} from '../../datasets/sample-author/make-sample-repo.ts';
import type { CrawlContext, CrawlOutcome } from './crawler.ts';
import { GitRepositoryCrawler } from './git-repository-crawler.ts';
import { HttpFetcher } from './http-fetcher.ts';
import { fileUrl, isRepositoryTarget, parseRepositoryTarget } from './repository-target.ts';
import { collect, testCrawlContext, testCrawlerConfig } from './test-support/test-crawl-context.ts';

let workspace: string;
let repository: string;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'git-crawler-test-'));
  repository = await makeSampleRepository(join(workspace, 'tiny-feature-store'));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

function documents(outcomes: CrawlOutcome[]): RepositoryDocument[] {
  return outcomes.flatMap((outcome) =>
    outcome.kind === 'document' && outcome.document.category === 'repository'
      ? [outcome.document as RepositoryDocument]
      : [],
  );
}

function skipped(outcomes: CrawlOutcome[]): Map<string, string> {
  const root = pathToFileURL(repository).href;
  return new Map(
    outcomes.flatMap((outcome) =>
      outcome.kind === 'skipped' ? [[outcome.url.replace(`${root}/`, ''), outcome.reason]] : [],
    ),
  );
}

/** The crawler's temporary clones in `folder`. */
async function clonesIn(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((name) => name.startsWith('llm-twin-git-'));
}

/**
 * Runs `work` with the temp folder (os.tmpdir reads TMPDIR) pointed at a fresh one of its own, and
 * returns the clones left there: the machine's temp folder also holds the clones of other
 * processes crawling at the same time, which would come and go under a before/after comparison.
 */
async function clonesLeftBy(work: (folder: string) => Promise<void>): Promise<string[]> {
  const folder = await mkdtemp(join(workspace, 'tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  try {
    await work(folder);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  return clonesIn(folder);
}

const keptFiles = [
  '.gitignore',
  'Makefile',
  'README.md',
  'docs/design.md',
  'package.json',
  'python/skew_check.py',
  'scripts/backfill.cmd',
  'src/feature-view.ts',
  'src/point-in-time-join.ts',
];

describe('GitRepositoryCrawler', () => {
  it('keeps source and docs files of a local repository and says why it skipped the rest', async () => {
    const discovered: number[] = [];
    const outcomes = await collect(
      new GitRepositoryCrawler().crawl(
        repository,
        testCrawlContext({}, { onDiscovered: (count) => discovered.push(count) }),
      ),
    );

    expect(documents(outcomes).map((document) => document.path)).toEqual(keptFiles);
    const reasons = skipped(outcomes);
    expect([...reasons.keys()].sort()).toEqual([
      '.env',
      'assets/logo.png',
      'data/generated-feature-snapshot.json',
      'fixtures/orders.snapshot',
      'node_modules',
      'package-lock.json',
    ]);
    expect(reasons.get('node_modules')).toMatch(/ignored directory node_modules\/ .*1 file/);
    expect(reasons.get('package-lock.json')).toMatch(/ignoreFiles/);
    expect(reasons.get('assets/logo.png')).toBe('binary file type (.png)');
    expect(reasons.get('fixtures/orders.snapshot')).toBe('binary content (NUL byte)');
    expect(reasons.get('data/generated-feature-snapshot.json')).toMatch(
      /maxFileBytes \(358384 > 262144 bytes\)/,
    );
    expect(reasons.get('.env')).toMatch(/credentials/);
    // The ten files that passed the name/size checks (the NUL sniff comes after reading).
    expect(discovered).toEqual([10]);
  });

  it('fills every field of a repository document from the last commit', async () => {
    const outcomes = await collect(new GitRepositoryCrawler().crawl(repository, testCrawlContext()));
    const join = documents(outcomes).find((document) => document.path === 'src/point-in-time-join.ts')!;
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repository, encoding: 'utf8' }).trim();
    const url = pathToFileURL(`${repository}/src/point-in-time-join.ts`).href;

    expect(join).toMatchObject({
      category: 'repository',
      platform: 'github',
      repository: 'tiny-feature-store',
      path: 'src/point-in-time-join.ts',
      language: 'typescript',
      title: 'tiny-feature-store: src/point-in-time-join.ts',
      sourceUrl: url,
      canonicalUrl: url,
      publishedAt: sampleRepositoryLastCommitDate,
      metadata: { commit: head, branch: 'main' },
    });
    expect(join.content).toContain('binary search');
    const languages = Object.fromEntries(
      documents(outcomes).map((document) => [document.path, document.language]),
    );
    expect(languages).toMatchObject({
      Makefile: 'makefile',
      'README.md': 'markdown',
      'python/skew_check.py': 'python',
      'scripts/backfill.cmd': 'batch',
      '.gitignore': null,
    });
  });

  it('keeps file contents byte for byte: CRLF, tabs, trailing spaces, indentation', async () => {
    const outcomes = await collect(new GitRepositoryCrawler().crawl(repository, testCrawlContext()));
    for (const document of documents(outcomes)) {
      const onDisk = await readFile(join(repository, document.path));
      expect(Buffer.from(document.content, 'utf8').equals(onDisk), document.path).toBe(true);
    }
    const byPath = new Map(documents(outcomes).map((document) => [document.path, document.content]));
    expect(byPath.get('scripts/backfill.cmd')).toContain('@echo off\r\nREM Backfill');
    expect(byPath.get('Makefile')).toContain('test:\n\tnpx vitest run\n');
    expect(byPath.get('Makefile')).toContain('--to $(TO)  \n');
    expect(byPath.get('python/skew_check.py')).toContain(
      '\n        for feature, offline_value in offline_values.items():\n',
    );
  });

  it('gives the same documents for a file:// URL as for a plain path', async () => {
    const byPath = documents(await collect(new GitRepositoryCrawler().crawl(repository, testCrawlContext())));
    const byUrl = documents(
      await collect(new GitRepositoryCrawler().crawl(pathToFileURL(repository).href, testCrawlContext())),
    );
    expect(byUrl.map((document) => [document.sourceUrl, document.content])).toEqual(
      byPath.map((document) => [document.sourceUrl, document.content]),
    );
  });

  it('crawls what was committed, not uncommitted edits or untracked files', async () => {
    const readme = join(repository, 'README.md');
    const original = await readFile(readme);
    await writeFile(join(repository, 'notes.txt'), 'untracked scratch notes\n');
    await writeFile(readme, 'edited but not committed\n');
    try {
      const outcomes = await collect(new GitRepositoryCrawler().crawl(repository, testCrawlContext()));
      const paths = documents(outcomes).map((document) => document.path);
      expect(paths).not.toContain('notes.txt');
      const content = documents(outcomes).find((document) => document.path === 'README.md')!.content;
      expect(content).toBe(original.toString('utf8'));
    } finally {
      await writeFile(readme, original);
      await rm(join(repository, 'notes.txt'));
    }
  });

  it('stops at maxFiles and reports how many files were left out', async () => {
    const defaults = testCrawlerConfig();
    const context = testCrawlContext({ repository: { ...defaults.repository, maxFiles: 3 } });
    const outcomes = await collect(new GitRepositoryCrawler().crawl(repository, context));
    expect(documents(outcomes)).toHaveLength(3);
    expect(skipped(outcomes).get(pathToFileURL(repository).href)).toBe(
      'crawler.repository.maxFiles (3) reached: 7 more files not crawled',
    );
  });

  it('removes its temporary clone, also when the consumer stops early', async () => {
    const left = await clonesLeftBy(async (folder) => {
      await collect(new GitRepositoryCrawler().crawl(repository, testCrawlContext()));
      for await (const outcome of new GitRepositoryCrawler().crawl(repository, testCrawlContext())) {
        // The clone the crawl reads from is there while it runs.
        expect(await clonesIn(folder)).toHaveLength(1);
        if (outcome.kind === 'document') break;
      }
    });
    expect(left).toEqual([]);
  });

  it('fails clearly for a path that does not exist or is not a repository', async () => {
    const missing = join(workspace, 'does-not-exist');
    await expect(collect(new GitRepositoryCrawler().crawl(missing, testCrawlContext()))).rejects.toThrow(
      new CrawlError(missing, `no such directory: ${missing}`),
    );
    const plain = join(workspace, 'plain-folder');
    await mkdir(plain);
    await writeFile(join(plain, 'a.txt'), 'hello');
    await expect(collect(new GitRepositoryCrawler().crawl(plain, testCrawlContext()))).rejects.toThrow(
      /not a git repository/,
    );
  });

  it('refuses an http URL to 127.0.0.1 under the default configuration, before running git', async () => {
    const config = loadConfig({ env: {} }).crawler;
    const context: CrawlContext = {
      config,
      logger: silentLogger,
      fetcher: new HttpFetcher(config, silentLogger),
      signal: new AbortController().signal,
    };
    const left = await clonesLeftBy(async () => {
      const crawl = collect(
        new GitRepositoryCrawler().crawl('http://127.0.0.1:9/noor/tiny-feature-store.git', context),
      );
      await expect(crawl).rejects.toBeInstanceOf(CrawlError);
      await expect(crawl).rejects.toThrow(/refused loopback address 127\.0\.0\.1/);
    });
    expect(left).toEqual([]);
  });
});

describe('repository targets', () => {
  it('recognises remote URLs and names repositories owner/name', () => {
    expect(parseRepositoryTarget('https://github.com/noorhalvorsen/tiny-feature-store')).toMatchObject({
      kind: 'remote',
      repository: 'noorhalvorsen/tiny-feature-store',
      webUrl: 'https://github.com/noorhalvorsen/tiny-feature-store',
    });
    const ssh = parseRepositoryTarget('git@github.com:noorhalvorsen/tiny-feature-store.git');
    expect(ssh).toMatchObject({
      kind: 'remote',
      guardUrl: 'https://github.com/',
      repository: 'noorhalvorsen/tiny-feature-store',
    });
    // ssh and https crawls of one repository give the same file URLs.
    expect(fileUrl(ssh, 'src/a b.ts')).toBe(
      'https://github.com/noorhalvorsen/tiny-feature-store/blob/HEAD/src/a%20b.ts',
    );
    expect(fileUrl(parseRepositoryTarget('https://gitlab.com/noor/tfs.git'), 'README.md')).toBe(
      'https://gitlab.com/noor/tfs/-/blob/HEAD/README.md',
    );
    expect(parseRepositoryTarget('github.com/noor/tfs')).toMatchObject({
      kind: 'remote',
      cloneUrl: 'https://github.com/noor/tfs',
    });
    expect(parseRepositoryTarget('./some/folder')).toMatchObject({ kind: 'local', repository: 'folder' });
  });

  it('tells repository targets from web pages', () => {
    expect(isRepositoryTarget('https://github.com/noor/tfs')).toBe(true);
    expect(isRepositoryTarget('https://example.com/code/tfs.git')).toBe(true);
    expect(isRepositoryTarget('git@github.com:noor/tfs.git')).toBe(true);
    expect(isRepositoryTarget('file:///tmp/tfs')).toBe(true);
    expect(isRepositoryTarget('https://github.com/noor')).toBe(false);
    expect(isRepositoryTarget('https://noorhalvorsen.example/posts/polite-crawlers.html')).toBe(false);
  });
});
