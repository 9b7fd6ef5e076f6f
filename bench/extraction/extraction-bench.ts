import { extractArticle } from '../../feature/crawlers/extract-article.ts';
import {
  allBodyText,
  type CorpusPage,
  type CorpusSummary,
  loadArticleCorpus,
  plainReadabilityText,
  scoreCorpus,
  summarizeScores,
} from '../../feature/crawlers/test-support/article-corpus.ts';
import { measure, round } from '../measure.ts';

// Each extractor runs over the whole corpus this many times; the time per page is the total over rounds.
const rounds = 5;

type Extractor = (page: CorpusPage) => string;

const extractors: Record<string, Extractor> = {
  ours: (page) => extractArticle(page.html, page.url)?.content ?? '',
  plainReadability: (page) => plainReadabilityText(page.html),
  allBodyText: (page) => allBodyText(page.html),
};

function rounded(summary: CorpusSummary): CorpusSummary {
  return {
    ...summary,
    mean: round(summary.mean, 3),
    median: round(summary.median, 3),
    min: round(summary.min, 3),
  };
}

/**
 * Article extraction on the hand-made corpus in feature/crawlers/__fixtures__/articles: bag-of-words
 * F1 against each page's expected text, for our extractor, plain Readability on linkedom (the
 * same-run baseline) and all body text; then ms per page and peak memory of ours against plain
 * Readability, each over the whole corpus `rounds` times.
 */
export async function runExtractionBench(): Promise<Record<string, unknown>> {
  const pages = loadArticleCorpus();
  const quality: Record<string, CorpusSummary> = {};
  const perPage: Record<string, Record<string, number>> = {};
  for (const [name, extract] of Object.entries(extractors)) {
    const scores = scoreCorpus(pages, extract);
    quality[name] = rounded(summarizeScores(scores.map((score) => score.f1)));
    for (const { shape, f1 } of scores) perPage[shape] = { ...perPage[shape], [name]: round(f1, 3) };
  }
  const titlesRight = pages.filter(
    (page) => extractArticle(page.html, page.url)?.title === page.expectedTitle,
  ).length;

  const speed: Record<string, { msPerPage: number; cpuMsPerPage: number; peakRssMb: number }> = {};
  for (const name of ['plainReadability', 'ours'] as const) {
    const extract = extractors[name] as Extractor;
    extract(pages[0] as CorpusPage);
    const run = await measure(() => {
      for (let round = 0; round < rounds; round += 1) for (const page of pages) extract(page);
    });
    const runs = rounds * pages.length;
    speed[name] = {
      msPerPage: round(run.durationMs / runs, 2),
      cpuMsPerPage: round(run.cpuMs / runs, 2),
      peakRssMb: run.peakRssMb,
    };
    process.stderr.write(`${name}: ${speed[name]?.msPerPage} ms/page\n`);
  }
  return { pages: pages.length, quality, titles: { right: titlesRight, of: pages.length }, speed, perPage };
}
