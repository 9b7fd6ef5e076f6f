import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'cheerio';
import { cleanText } from '../../../core/features/clean-text.ts';
import { sha256 } from '../../../core/hashing.ts';
import { authorIdFromName } from '../../../core/types/author.ts';
import type { Category, Platform } from '../../../core/types/category.ts';
import type { CleanedDocument } from '../../../core/types/cleaned-document.ts';

/**
 * The sample author's writing as documents, read straight from `datasets/sample-author` with a
 * deliberately simple extractor. Inference tests cannot run the feature pipeline (pipelines never
 * import each other), so they build their features from this with core's cleaner and chunker.
 * The caller passes the folder and the repository files in: only tests may import `datasets/`.
 */
export type CorpusDocument = {
  documentId: string;
  authorId: string;
  platform: Platform;
  category: Category;
  url: string;
  title: string;
  /** Extracted, not yet cleaned. */
  text: string;
  publishedAt: string | null;
};

export type SampleRepository = {
  name: string;
  commits: readonly { date: string; files: Readonly<Record<string, string | Uint8Array>> }[];
};

export const sampleAuthorId = authorIdFromName('Noor Halvorsen');

export async function loadSampleAuthorCorpus(
  directory: string,
  repository: SampleRepository,
): Promise<CorpusDocument[]> {
  const documents = [
    ...(await htmlDocuments(join(directory, 'site/posts'), 'web', '.post-body')),
    ...(await htmlDocuments(join(directory, 'medium/@noorhalvorsen'), 'medium', 'article')),
    ...(await htmlDocuments(join(directory, 'substack/p'), 'substack', '.available-content .body.markup')),
    ...(await devtoDocuments(join(directory, 'devto/api/articles'))),
    ...(await linkedinShares(join(directory, 'linkedin-export/Shares.csv'))),
    ...(await linkedinArticles(join(directory, 'linkedin-export/Articles/Articles'))),
    ...repositoryDocuments(repository),
  ];
  return documents.sort((a, b) => a.url.localeCompare(b.url));
}

/** What the feature pipeline would store for a document in `featureSetId`. */
export function cleanCorpusDocument(document: CorpusDocument, featureSetId: string): CleanedDocument {
  return {
    ...document,
    featureSetId,
    title: cleanText(document.title, 'post'),
    text: cleanText(document.text, document.category),
    sourceHash: sha256(document.text),
    cleanedAt: '2026-01-01T00:00:00.000Z',
  };
}

function corpusDocument(fields: Omit<CorpusDocument, 'documentId' | 'authorId'>): CorpusDocument {
  return { documentId: sha256(fields.url).slice(0, 24), authorId: sampleAuthorId, ...fields };
}

async function htmlDocuments(folder: string, platform: Platform, bodySelector: string) {
  const names = (await readdir(folder)).filter((name) => name.endsWith('.html')).sort();
  return Promise.all(
    names.map(async (name) => {
      const $ = load(await readFile(join(folder, name), 'utf8'));
      const body = $(bodySelector).first();
      body.find('script, style, nav, figure, .subscription-widget-wrap-editor, .comments').remove();
      const blocks = body
        .find('p, h1, h2, h3, h4, li, pre, blockquote')
        .filter((_, element) => $(element).parents('p, li, pre, blockquote').length === 0)
        .map((_, element) =>
          element.tagName === 'pre' ? `\`\`\`\n${$(element).text().trimEnd()}\n\`\`\`` : $(element).text(),
        )
        .get();
      return corpusDocument({
        platform,
        category: 'article',
        url: $('link[rel=canonical]').attr('href') ?? $('meta[property="og:url"]').attr('content') ?? name,
        title: $('meta[property="og:title"]').attr('content') ?? $('h1').first().text(),
        text: blocks.join('\n\n'),
        publishedAt: isoDate($('meta[property="article:published_time"]').attr('content')),
      });
    }),
  );
}

async function devtoDocuments(folder: string) {
  const names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => {
      const article = JSON.parse(await readFile(join(folder, name), 'utf8')) as {
        title: string;
        url: string;
        published_timestamp: string;
        body_markdown: string;
      };
      return corpusDocument({
        platform: 'devto',
        category: 'article',
        url: article.url,
        title: article.title,
        text: article.body_markdown.replace(/^---\n[\s\S]*?\n---\n/, ''),
        publishedAt: isoDate(article.published_timestamp),
      });
    }),
  );
}

async function linkedinShares(path: string) {
  const [header, ...rows] = parseCsv(await readFile(path, 'utf8'));
  const column = (name: string) => header?.indexOf(name) ?? -1;
  return rows
    .map((row) => ({
      date: row[column('Date')] ?? '',
      link: row[column('ShareLink')] ?? '',
      text: (row[column('ShareCommentary')] ?? '').trim(),
    }))
    .filter((share) => share.text.length > 0)
    .map((share) => {
      const firstLine = share.text.split('\n')[0] ?? '';
      return corpusDocument({
        platform: 'linkedin',
        category: 'post',
        url: share.link,
        title: firstLine.length > 80 ? `${firstLine.slice(0, 77)}...` : firstLine,
        text: share.text,
        publishedAt: isoDate(`${share.date.replace(' ', 'T')}Z`),
      });
    });
}

async function linkedinArticles(folder: string) {
  const names = (await readdir(folder)).filter((name) => name.endsWith('.html')).sort();
  return Promise.all(
    names.map(async (name) => {
      const $ = load(await readFile(join(folder, name), 'utf8'));
      const published = /Published on (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})/.exec($('.published').text());
      return corpusDocument({
        platform: 'linkedin',
        category: 'article',
        url: $('h1 a').attr('href') ?? name,
        title: $('h1').text().trim(),
        text: $('body > div')
          .find('p, li')
          .map((_, element) => $(element).text())
          .get()
          .join('\n\n'),
        publishedAt: published ? isoDate(`${published[1]}T${published[2]}:00Z`) : null,
      });
    }),
  );
}

/** The repository at its last commit, without what a repository crawler skips (vendored, data, secrets). */
function repositoryDocuments(repository: SampleRepository) {
  const files = new Map<string, string>();
  for (const commit of repository.commits) {
    for (const [path, content] of Object.entries(commit.files)) {
      if (typeof content === 'string') files.set(path, content);
    }
  }
  const lastDate = repository.commits.at(-1)?.date;
  const skipped = /^(node_modules|data|fixtures|assets)\/|(^|\/)\.|package-lock\.json$/;
  return [...files]
    .filter(([path]) => !skipped.test(path))
    .map(([path, text]) =>
      corpusDocument({
        platform: 'github',
        category: 'repository',
        url: `https://github.com/noorhalvorsen/${repository.name}/blob/main/${path}`,
        title: `${repository.name}: ${path}`,
        text,
        publishedAt: isoDate(lastDate),
      }),
    );
}

function isoDate(value: string | undefined): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** RFC 4180: quoted fields may hold commas, newlines and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      row.push(field);
      field = '';
    } else if (character === '\n' || character === '\r') {
      if (character === '\r' && text[index + 1] === '\n') index++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += character;
  }
  if (field || row.length > 0) rows.push([...row, field]);
  return rows;
}
