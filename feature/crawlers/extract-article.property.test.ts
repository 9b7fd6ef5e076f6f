import { describe, expect, it } from 'vitest';
import { bagOfWordsF1, wordCounts } from './bag-of-words-f1.ts';
import { extractArticle } from './extract-article.ts';
import { plainReadabilityText } from './test-support/article-corpus.ts';
import { generateArticlePage } from './test-support/generated-article-page.ts';

const pages = Array.from({ length: 150 }, (_, index) => generateArticlePage(index + 1));

/** Words of `text` beyond those in `other`, with how many times each is in excess. */
function excess(text: string, other: string): Map<string, number> {
  const counts = wordCounts(text);
  const others = wordCounts(other);
  const result = new Map<string, number>();
  for (const [word, count] of counts) {
    const over = count - (others.get(word) ?? 0);
    if (over > 0) result.set(word, over);
  }
  return result;
}

/** Whether every word of `words` (with its count) is among `allowed`. */
function coveredBy(words: Map<string, number>, allowed: string): boolean {
  const available = wordCounts(allowed);
  return [...words].every(([word, count]) => (available.get(word) ?? 0) >= count);
}

describe('extractArticle against plain Readability on generated pages (seeds 1–150)', () => {
  it('removes only text the generator made as chrome', () => {
    for (const page of pages) {
      const removed = extractArticle(page.html, 'https://example.com/post')?.removedChrome ?? [];
      const removedText = removed.map((block) => block.text).join('\n');
      expect(coveredBy(wordCounts(removedText), page.chromeTexts.join('\n')), `seed ${page.seed}`).toBe(true);
    }
  });

  it('scores F1 ≥ 0.98 against plain Readability unless the difference is chrome it named', () => {
    let belowThreshold = 0;
    for (const page of pages) {
      const ours = extractArticle(page.html, 'https://example.com/post');
      const plain = plainReadabilityText(page.html);
      const content = ours?.content ?? '';
      if (bagOfWordsF1(content, plain) >= 0.98) continue;
      belowThreshold += 1;
      const named = (ours?.removedChrome ?? []).map((block) => block.text).join('\n');
      // What plain Readability kept and we did not is chrome we removed and named...
      expect(coveredBy(excess(plain, content), named), `seed ${page.seed}: lost`).toBe(true);
      // ...and what we kept beyond it is article text.
      expect(coveredBy(excess(content, plain), page.articleText), `seed ${page.seed}: added`).toBe(true);
    }
    // The pages are built so that chrome regularly survives Readability: the exception is exercised.
    expect(belowThreshold).toBeGreaterThan(10);
  });

  it('keeps at least as much of the article as plain Readability does', () => {
    for (const page of pages) {
      const content = extractArticle(page.html, 'https://example.com/post')?.content ?? '';
      const plain = plainReadabilityText(page.html);
      const lostByUs = excess(page.articleText, content);
      const lostByPlain = excess(page.articleText, plain);
      const count = (words: Map<string, number>) =>
        [...words.values()].reduce((sum, value) => sum + value, 0);
      expect(count(lostByUs), `seed ${page.seed}`).toBeLessThanOrEqual(count(lostByPlain));
    }
  });
});
