import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrawlError, ValidationError } from '../../core/errors.ts';
import { sampleAuthorDirectory } from '../../datasets/sample-author/sample-author.ts';
import type { CrawlOutcome } from './crawler.ts';
import { parseCsv, parseCsvRecords } from './csv.ts';
import { LinkedInExportCrawler, linkedInDate, titleFrom } from './linkedin-export-crawler.ts';
import { collect, testCrawlContext } from './test-support/test-crawl-context.ts';

const exportFolder = join(sampleAuthorDirectory, 'linkedin-export');
let workspace: string;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'linkedin-export-test-'));
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

type Document = Extract<CrawlOutcome, { kind: 'document' }>['document'];
const documentsOf = (outcomes: CrawlOutcome[]): Document[] =>
  outcomes.flatMap((outcome) => (outcome.kind === 'document' ? [outcome.document] : []));
const crawl = (target: string) => collect(new LinkedInExportCrawler().crawl(target, testCrawlContext()));

async function filesOf(folder: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(folder, path).split(sep).join('/')] = new Uint8Array(await readFile(path));
  }
  return files;
}

/** Zips the sample export the way LinkedIn ships it: inside a dated folder, next to other CSVs. */
async function sampleZip(options: { bom?: boolean } = {}): Promise<Uint8Array> {
  const files = await filesOf(exportFolder);
  if (options.bom) {
    files['Shares.csv'] = new Uint8Array([0xef, 0xbb, 0xbf, ...files['Shares.csv']!]);
  }
  const entries: Record<string, Uint8Array> = {
    'Connections.csv': new TextEncoder().encode('First Name,Last Name\n'),
  };
  for (const [path, bytes] of Object.entries(files))
    entries[`Basic_LinkedInDataExport_03-04-2025/${path}`] = bytes;
  return zipSync(entries);
}

const hnswPost = [
  'Small experiment, big grin 😁',
  '',
  'We swapped our HNSW index for plain exact search on the support-docs assistant. 80k vectors, 384 dimensions.',
  '',
  '• p95 retrieval latency: 41 ms → 33 ms',
  '• recall@10 against ground truth: 0.93 → 1.0',
  '• config parameters nobody understood: 3 → 0',
  '',
  "Approximate indexes are great when you need them. At 80k vectors, we didn't.",
  '',
  '#VectorSearch #RAG',
].join('\n');

function checkSampleDocuments(documents: Document[]) {
  const posts = documents.filter((document) => document.category === 'post');
  const articles = documents.filter((document) => document.category === 'article');
  expect(posts).toHaveLength(11);
  expect(articles).toHaveLength(2);
  expect(posts.every((document) => document.platform === 'linkedin')).toBe(true);

  const hnsw = posts.find((document) =>
    document.sourceUrl.endsWith('urn%3Ali%3Ashare%3A7159245760935092224'),
  )!;
  expect(hnsw.content).toBe(hnswPost);
  expect(hnsw).toMatchObject({
    title: 'Small experiment, big grin 😁',
    publishedAt: '2024-02-02T12:48:02.000Z',
    canonicalUrl: 'https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A7159245760935092224',
    metadata: { visibility: 'MEMBER_NETWORK', hashtags: ['#VectorSearch', '#RAG'] },
  });
  const rollback = posts.find((document) => document.content.startsWith('Rolled back a model today'))!;
  expect(rollback.content).toContain('🐕 Dog people');
  expect(rollback.content).toContain('Sorry about the cat food. 🐈');
  // LinkedIn doubles quotes inside the quoted commentary; they come back single.
  const hotTake = posts.find((document) => document.content.startsWith('Hot take'))!;
  expect(hotTake.content).toContain('when a team says "we need a feature store", they usually mean');

  const onCall = articles.find((document) => document.title === 'What my first ML on-call shift taught me')!;
  expect(onCall).toMatchObject({
    platform: 'linkedin',
    sourceUrl: 'https://www.linkedin.com/pulse/what-my-first-ml-on-call-shift-taught-me-noor-halvorsen',
    publishedAt: '2023-11-08T07:30:00.000Z',
    metadata: { createdAt: '2023-11-07T18:02:00.000Z' },
  });
  expect(onCall.content).toMatch(/^My first on-call shift as an ML engineer started with a page at 03:12\./);
  expect(onCall.content).toContain(
    "That's it. Three questions. Most incidents I've handled since were answered by one of them.\n\nA few more lessons",
  );
  expect(onCall.content).toContain(
    '\n\n1. Which model version is the production alias pointing at, and since when?',
  );
  expect(onCall.content).not.toMatch(/Created on|Published on/);
}

describe('LinkedInExportCrawler', () => {
  it('imports posts and articles from an extracted export folder', async () => {
    const discovered: number[] = [];
    const outcomes = await collect(
      new LinkedInExportCrawler().crawl(
        exportFolder,
        testCrawlContext({}, { onDiscovered: (count) => discovered.push(count) }),
      ),
    );
    checkSampleDocuments(documentsOf(outcomes));
    expect(discovered).toEqual([14]);
    const skipped = outcomes.filter((outcome) => outcome.kind === 'skipped');
    expect(skipped).toEqual([
      {
        kind: 'skipped',
        url: 'https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A7183702120480759808',
        reason:
          'reshare of https://www.linkedin.com/posts/some-colleague_mlops-activity-7183690000000000000-AbCd without commentary',
      },
    ]);
  });

  it('imports the same documents from a .zip built from the folder (with a BOM and a wrapping folder)', async () => {
    const zipPath = join(workspace, 'Basic_LinkedInDataExport_03-04-2025.zip');
    await writeFile(zipPath, await sampleZip({ bom: true }));
    const fromZip = documentsOf(await crawl(zipPath));
    checkSampleDocuments(fromZip);
    const fromFolder = documentsOf(await crawl(exportFolder));
    const key = (document: Document) => [
      document.sourceUrl,
      document.title,
      document.content,
      document.publishedAt,
    ];
    expect(fromZip.map(key)).toEqual(fromFolder.map(key));
    const article = fromZip.find((document) => document.category === 'article')!;
    expect(String(article.metadata.location)).toMatch(
      new RegExp(`^${pathToFileURL(zipPath).href}#Basic_LinkedInDataExport_03-04-2025/Articles/Articles/`),
    );
    // A file:// URL names the archive as well as a path does.
    expect(documentsOf(await crawl(pathToFileURL(zipPath).href))).toHaveLength(13);
  });

  it('rejects a corrupted or foreign archive with a clear error', async () => {
    const zip = await sampleZip();
    const truncated = join(workspace, 'truncated.zip');
    await writeFile(truncated, zip.subarray(0, Math.floor(zip.length / 2)));
    await expect(crawl(truncated)).rejects.toThrow(/malformed zip archive/);
    await expect(crawl(truncated)).rejects.toBeInstanceOf(CrawlError);

    const notZip = join(workspace, 'export.csv');
    await writeFile(notZip, 'Date,ShareLink\n');
    await expect(crawl(notZip)).rejects.toThrow(/expected a LinkedIn data export/);

    const unrelated = join(workspace, 'photos.zip');
    await writeFile(unrelated, zipSync({ 'holiday.txt': new TextEncoder().encode('sun') }));
    await expect(crawl(unrelated)).rejects.toThrow(/not a LinkedIn data export/);

    const missing = join(workspace, 'nowhere.zip');
    await expect(crawl(missing)).rejects.toThrow(`no such file or directory: ${missing}`);
  });

  it('refuses a zip bomb: huge declared sizes or too many entries', async () => {
    // Claim almost 4 GB for Shares.csv in the central directory, where unzippers read sizes from.
    const bomb = Buffer.from(await sampleZip());
    const central = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
    let patched = 0;
    for (let offset = bomb.indexOf(central); offset >= 0; offset = bomb.indexOf(central, offset + 4)) {
      const name = bomb.subarray(offset + 46, offset + 46 + bomb.readUInt16LE(offset + 28)).toString('utf8');
      if (name.endsWith('/Shares.csv')) {
        bomb.writeUInt32LE(0xf0000000, offset + 24);
        patched += 1;
      }
    }
    expect(patched).toBe(1);
    const bombPath = join(workspace, 'bomb.zip');
    await writeFile(bombPath, bomb);
    await expect(crawl(bombPath)).rejects.toThrow(/zip bomb/);

    const many: Record<string, Uint8Array> = {
      'Shares.csv': new TextEncoder().encode('Date,ShareLink,ShareCommentary\n'),
    };
    for (let index = 0; index < 10_001; index += 1) many[`Messages/${index}.txt`] = new Uint8Array();
    const manyPath = join(workspace, 'many.zip');
    await writeFile(manyPath, zipSync(many));
    await expect(crawl(manyPath)).rejects.toThrow(/more than 10000 entries/);
  });

  it('names the missing columns of a Shares.csv that is not LinkedIn’s', async () => {
    const folder = join(workspace, 'wrong-columns');
    await cp(exportFolder, folder, { recursive: true });
    await writeFile(join(folder, 'Shares.csv'), 'When,Link,Text\n2024-01-01,https://x,hello\n');
    await expect(crawl(folder)).rejects.toThrow(
      /lacks LinkedIn's column\(s\) Date, ShareLink, ShareCommentary/,
    );
  });
});

describe('parseCsv', () => {
  it('handles quoted commas, doubled quotes, line breaks in fields and every line ending', () => {
    const text = '\uFEFFa,b,c\r\n"1, one","say ""hi""","line 1\nline 2\r\nline 3"\n2,,"" \r3,"x"';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['1, one', 'say "hi"', 'line 1\nline 2\r\nline 3'],
      ['2', '', ' '],
      ['3', 'x'],
    ]);
  });

  it('keeps empty trailing fields and ignores one trailing newline', () => {
    expect(parseCsv('a,b,\n,,\n')).toEqual([
      ['a', 'b', ''],
      ['', '', ''],
    ]);
    expect(parseCsvRecords('x,y\n\n1\n').records).toEqual([{ x: '1', y: '' }]);
  });

  it('throws on an unterminated quote instead of swallowing the rest of the file', () => {
    expect(() => parseCsv('a,"b\nc,d\n')).toThrow(ValidationError);
  });
});

describe('helpers', () => {
  it('parses LinkedIn export dates as UTC', () => {
    expect(linkedInDate('2023-09-14 07:12:44')).toBe('2023-09-14T07:12:44.000Z');
    expect(linkedInDate('Published on 2023-11-08 07:30')).toBe('2023-11-08T07:30:00.000Z');
    expect(linkedInDate('yesterday')).toBeNull();
  });

  it('titles a post by its first line, cut at a word near 80 characters', () => {
    expect(titleFrom('\n\nShort first line\nsecond')).toBe('Short first line');
    const long = `${'word '.repeat(30)}end`;
    const title = titleFrom(long);
    expect(title.length).toBeLessThanOrEqual(80);
    expect(title).toMatch(/word…$/);
  });
});
