import { readdirSync, readFileSync } from 'node:fs';
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { bagOfWordsF1 } from '../bag-of-words-f1.ts';

/** One page of the hand-made extraction corpus: the HTML and what a reader would call its article. */
export type CorpusPage = {
  shape: string;
  url: string;
  html: string;
  expectedTitle: string;
  /** The article's text without its title. */
  expectedText: string;
};

const corpusFolder = new URL('../__fixtures__/articles/', import.meta.url);

/**
 * The pages in `__fixtures__/articles`: `<shape>.html` beside `<shape>.expected.md`, whose first
 * line is `# <title>` and the rest the article's text. A page is served at its canonical URL.
 */
export function loadArticleCorpus(): CorpusPage[] {
  return readdirSync(corpusFolder)
    .filter((name) => name.endsWith('.html'))
    .sort()
    .map((name) => {
      const shape = name.slice(0, -'.html'.length);
      const html = readFileSync(new URL(name, corpusFolder), 'utf8');
      const expected = readFileSync(new URL(`${shape}.expected.md`, corpusFolder), 'utf8');
      const [heading = '', ...body] = expected.split('\n');
      if (!heading.startsWith('# ')) throw new Error(`${shape}.expected.md must start with "# <title>"`);
      const canonical = /<link rel="canonical" href="([^"]+)"/.exec(html)?.[1];
      return {
        shape,
        url: canonical ?? `https://fixtures.example/articles/${shape}`,
        html,
        expectedTitle: heading.slice(2).trim(),
        expectedText: body.join('\n').trim(),
      };
    });
}

/** The baseline: Mozilla Readability alone on linkedom, its `textContent`. */
export function plainReadabilityText(html: string): string {
  const { document } = parseHTML(html);
  return new Readability(document).parse()?.textContent ?? '';
}

/** The other baseline: every word in the body, nothing extracted (scripts and styles aside). */
export function allBodyText(html: string): string {
  const { document } = parseHTML(html);
  for (const element of Array.from(document.querySelectorAll('script, style, noscript, template'))) {
    element.remove();
  }
  return document.body?.textContent ?? '';
}

export type CorpusSummary = { pages: number; mean: number; median: number; min: number; atLeast90: number };

export function summarizeScores(scores: readonly number[]): CorpusSummary {
  const sorted = [...scores].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2 === 1
        ? (sorted[middle] as number)
        : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return {
    pages: sorted.length,
    mean: sorted.reduce((sum, score) => sum + score, 0) / Math.max(sorted.length, 1),
    median,
    min: sorted[0] ?? Number.NaN,
    atLeast90: sorted.filter((score) => score >= 0.9).length,
  };
}

/** Each page's F1 for the text `extract` gives it, against the page's expected text. */
export function scoreCorpus(
  pages: readonly CorpusPage[],
  extract: (page: CorpusPage) => string,
): { shape: string; f1: number }[] {
  return pages.map((page) => ({ shape: page.shape, f1: bagOfWordsF1(extract(page), page.expectedText) }));
}
