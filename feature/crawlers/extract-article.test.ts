import { describe, expect, it } from 'vitest';
import { bagOfWordsF1 } from './bag-of-words-f1.ts';
import { extractArticle } from './extract-article.ts';
import {
  allBodyText,
  loadArticleCorpus,
  plainReadabilityText,
  scoreCorpus,
  summarizeScores,
} from './test-support/article-corpus.ts';
import { unbalancedParagraphs } from './test-support/markdown-balance.ts';

const corpus = loadArticleCorpus();
const ours = (html: string, url: string) => extractArticle(html, url);

describe('extractArticle on the hand-made corpus (feature/crawlers/__fixtures__/articles)', () => {
  const scores = scoreCorpus(corpus, (page) => ours(page.html, page.url)?.content ?? '');
  const plain = scoreCorpus(corpus, (page) => plainReadabilityText(page.html));

  it('has 30 or more page shapes, each with its expected text', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    for (const page of corpus) expect(page.expectedText.length, page.shape).toBeGreaterThan(300);
  });

  it('keeps the article: mean bag-of-words F1 of 0.985 or more and no page under 0.9', () => {
    const summary = summarizeScores(scores.map((score) => score.f1));
    expect(summary.mean).toBeGreaterThanOrEqual(0.985);
    expect(scores.filter((score) => score.f1 < 0.9)).toEqual([]);
  });

  it('never does worse than plain Readability on a page, and beats it and all body text on average', () => {
    scores.forEach((score, index) => {
      expect(score.f1, score.shape).toBeGreaterThanOrEqual((plain[index]?.f1 ?? 1) - 0.005);
    });
    const mean = (values: { f1: number }[]) => summarizeScores(values.map((value) => value.f1)).mean;
    const body = scoreCorpus(corpus, (page) => allBodyText(page.html));
    expect(mean(scores)).toBeGreaterThan(mean(plain));
    expect(mean(plain)).toBeGreaterThan(mean(body));
  });

  it('gives every page its expected title, without the site name', () => {
    const titles = corpus.map((page) => ({ shape: page.shape, title: ours(page.html, page.url)?.title }));
    expect(titles).toEqual(corpus.map((page) => ({ shape: page.shape, title: page.expectedTitle })));
  });

  it('writes Markdown whose emphasis, code and maths markers all pair up', () => {
    for (const page of corpus) {
      expect(unbalancedParagraphs(ours(page.html, page.url)?.content ?? ''), page.shape).toEqual([]);
    }
  });
});

describe('extractArticle', () => {
  const paragraph = (n: number) =>
    `<p>Paragraph ${n} of an article long enough for Readability, with plain words, some commas, and a full stop.</p>`;

  it("takes og:title over a JSON-LD headline that is not the page's title, and decodes JSON-LD's entities", () => {
    const body = `<body><h1>Dry stone walling</h1>${paragraph(1)}${paragraph(2)}${paragraph(3)}</body>`;
    const head = (headline: string, title: string) =>
      `<head><title>${title} - Wikipedia</title><meta property="og:title" content="${title} - Wikipedia"><meta property="og:site_name" content="Wikipedia">` +
      `<script type="application/ld+json">{"@type":"Article","name":"${title}","headline":"${headline}"}</script></head>`;
    // Wikipedia's JSON-LD headline is the short description, which the page never shows as its title.
    const described = extractArticle(
      `<html>${head('building technique using stones without mortar', 'Dry stone walling')}${body}</html>`,
      'https://en.wikipedia.org/wiki/Dry_stone',
    );
    expect(described?.title).toBe('Dry stone walling');
    // A script's text is never unescaped by the parser: `&amp;` there is a site's own escaping.
    const escaped = extractArticle(
      `<html><head><script type="application/ld+json">{"@type":"BlogPosting","headline":"Chewy &amp; Crisp"}</script></head>${body}</html>`,
      'https://example.com/chewy',
    );
    expect(escaped?.title).toBe('Chewy & Crisp');
  });

  it('brings back the footnotes the article cites when Readability drops them', () => {
    const html = `<html><head><title>Notes</title></head><body><div class="post">${paragraph(1)}
      <p>A claim that needs a source.<sup><a href="#fn1" id="fnref1">1</a></sup> ${'More words follow here. '.repeat(8)}</p>
      ${paragraph(2)}${paragraph(3)}</div>
      <div class="footnotes" role="doc-endnotes"><ol><li id="fn1"><p>The source, cited in full. <a href="#fnref1">↩︎</a></p></li></ol></div>
      </body></html>`;
    const article = extractArticle(html, 'https://example.com/notes');
    expect(article?.content.endsWith('1. The source, cited in full.')).toBe(true);
  });

  it('extracts an article whose wrappers and container carry chrome words as states, layouts or hooks', () => {
    const html = `<html><head><title>Wrapped</title></head><body>
      <div class="content-sidebar-wrap"><div class="l-col--with-sidebar has-comments">
      <div class="c-entry-content js-social-sticky">${paragraph(1)}${paragraph(2)}${paragraph(3)}</div>
      </div><div class="sidebar"><a href="/a">Popular post</a></div></div></body></html>`;
    expect(extractArticle(html, 'https://example.com/wrapped')?.content).toBe(
      [1, 2, 3]
        .map(
          (n) =>
            `Paragraph ${n} of an article long enough for Readability, with plain words, some commas, and a full stop.`,
        )
        .join('\n\n'),
    );
  });

  it('returns null for a page of nothing but navigation and a footer', () => {
    const html =
      '<html><head><title>Home</title></head><body><nav><a href="/">Home</a> <a href="/a">About</a></nav><footer>© me</footer></body></html>';
    expect(extractArticle(html, 'https://example.com/')).toBeNull();
  });

  it('reports the chrome it removed and where the title came from', () => {
    const page = corpus.find((candidate) => candidate.shape === 'qa-stackoverflow');
    if (!page) throw new Error('missing fixture');
    const article = extractArticle(page.html, page.url);
    expect(article?.titleSource).toBe('heading');
    expect(article?.removedChrome.slice(0, 2)).toEqual([
      { kind: 'votes', text: '87' },
      { kind: 'byline', text: 'asked Sep 14, 2011 at 2:05' },
    ]);
    expect(bagOfWordsF1(article?.content ?? '', page.expectedText)).toBeGreaterThan(0.95);
  });
});
