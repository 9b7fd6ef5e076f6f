import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrawlError } from '../../core/errors.ts';
import { ArticleCrawler } from './article-crawler.ts';
import { normalizeTarget, selectCrawler } from './crawler-dispatcher.ts';
import { DevtoCrawler } from './devto-crawler.ts';
import { FeedCrawler } from './feed-crawler.ts';
import { GitRepositoryCrawler } from './git-repository-crawler.ts';
import { LinkedInExportCrawler } from './linkedin-export-crawler.ts';
import { MediumCrawler } from './medium-crawler.ts';
import { SitemapCrawler } from './sitemap-crawler.ts';
import { SubstackCrawler } from './substack-crawler.ts';
import { WebCrawler } from './web-crawler.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dispatcher-'));
  mkdirSync(join(root, 'repo/.git'), { recursive: true });
  mkdirSync(join(root, 'code/src'), { recursive: true });
  writeFileSync(join(root, 'code/src/index.ts'), 'export {};\n');
  mkdirSync(join(root, 'export-shares'));
  writeFileSync(join(root, 'export-shares/Shares.csv'), 'Date,ShareLink,ShareCommentary\n');
  mkdirSync(join(root, 'export-articles/Articles'), { recursive: true });
  writeFileSync(join(root, 'linkedin.zip'), 'PK\u0003\u0004');
  writeFileSync(join(root, 'notes.txt'), 'hello');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('selectCrawler', () => {
  it('lets an explicit source win', () => {
    expect(selectCrawler('https://github.com/jane/site', { source: 'feed' })).toBeInstanceOf(FeedCrawler);
    expect(selectCrawler('https://jane.example/sitemap.xml', { source: 'sitemap' })).toBeInstanceOf(
      SitemapCrawler,
    );
    // "web" means one page: no sniffing that could turn it into something else.
    expect(selectCrawler('https://medium.com/@jane/post-1a2b3c4d5e6f', { source: 'web' })).toBeInstanceOf(
      ArticleCrawler,
    );
    expect(selectCrawler('https://letters.jane.dev/', { source: 'substack' })).toBeInstanceOf(
      SubstackCrawler,
    );
    expect(selectCrawler(join(root, 'notes.txt'), { source: 'linkedin' })).toBeInstanceOf(
      LinkedInExportCrawler,
    );
  });

  it.each([
    ['https://github.com/jane/dotfiles', GitRepositoryCrawler],
    ['https://www.github.com/jane/dotfiles', GitRepositoryCrawler],
    ['https://gitlab.com/jane/tools', GitRepositoryCrawler],
    ['https://git.jane.dev/jane/blog.git', GitRepositoryCrawler],
    ['git@github.com:jane/dotfiles.git', GitRepositoryCrawler],
    ['ssh://git@git.jane.dev/blog.git', GitRepositoryCrawler],
    ['https://medium.com/@jane', MediumCrawler],
    ['https://jane.medium.com/', MediumCrawler],
    ['https://janesletters.substack.com/p/shipping', SubstackCrawler],
    ['https://dev.to/jane', DevtoCrawler],
    ['https://jane.example/posts/one', WebCrawler],
    ['http://127.0.0.1:8080/feed.xml', WebCrawler],
  ] as const)('%s → %o', (target, expected) => {
    expect(selectCrawler(target)).toBeInstanceOf(expected);
  });

  it('routes local folders and files', () => {
    expect(selectCrawler(join(root, 'repo'))).toBeInstanceOf(GitRepositoryCrawler);
    expect(selectCrawler(join(root, 'code'))).toBeInstanceOf(GitRepositoryCrawler);
    expect(selectCrawler(pathToFileURL(join(root, 'repo')).href)).toBeInstanceOf(GitRepositoryCrawler);
    expect(selectCrawler(join(root, 'export-shares'))).toBeInstanceOf(LinkedInExportCrawler);
    expect(selectCrawler(join(root, 'export-articles'))).toBeInstanceOf(LinkedInExportCrawler);
    expect(selectCrawler(join(root, 'linkedin.zip'))).toBeInstanceOf(LinkedInExportCrawler);
    expect(() => selectCrawler(join(root, 'notes.txt'))).toThrow(CrawlError);
    expect(() => selectCrawler(join(root, 'missing'))).toThrow('no such file or directory');
  });

  it('reads a target without a scheme as an https URL', () => {
    expect(normalizeTarget('jane.example/blog')).toBe('https://jane.example/blog');
    expect(normalizeTarget(' dev.to/jane ')).toBe('https://dev.to/jane');
    expect(normalizeTarget('https://jane.example/')).toBe('https://jane.example/');
    expect(selectCrawler('dev.to/jane').name).toBe('devto');
    expect(selectCrawler('jane.example').name).toBe('web');
    expect(() => selectCrawler('not a target')).toThrow(CrawlError);
  });
});
