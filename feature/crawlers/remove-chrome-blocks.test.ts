import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { hasTextBeyondChrome, markChromeBlocks, removeChromeBlocks } from './remove-chrome-blocks.ts';

const sentence = (topic: string) =>
  `The ${topic} paragraph carries enough ordinary prose, with commas, clauses and plain words, to be read as part of an article by anyone.`;
const prose = (topic: string, count = 3) =>
  Array.from({ length: count }, (_, index) => `<p>${sentence(`${topic} ${index + 1}`)}</p>`).join('\n');

/** Marks the page, runs Readability as extraction does, then removes chrome from its result. */
function extract(body: string) {
  const { document } = parseHTML(
    `<!DOCTYPE html><html><head><title>T</title></head><body>${body}</body></html>`,
  );
  Object.defineProperty(document, 'documentURI', { value: 'https://example.com/post', configurable: true });
  markChromeBlocks(document);
  const parsed = new Readability<Node>(document, { keepClasses: true, serializer: (node) => node }).parse();
  const article = parsed?.content as Element;
  const removed = removeChromeBlocks(article);
  return { removed, text: (article.textContent ?? '').replace(/\s+/g, ' ').trim(), article };
}

describe('removeChromeBlocks', () => {
  it('takes share bars, newsletter boxes, related links and bylines out of the article, saying what went', () => {
    const { removed, text } = extract(`<article class="post">
      <div class="entry-meta"><span>By Ann</span> <time>4 May</time></div>
      ${prose('first')}
      <div class="newsletter-signup"><p>Get the weekly letter in your inbox.</p><form><input type="email"><button>Go</button></form></div>
      <ul class="a2a_kit"><li><a href="/t">Twitter</a></li><li><a href="/f">Facebook</a></li></ul>
      ${prose('second')}
      <section class="read-next"><h3>Read next</h3><p><a href="/a">Another story about something else</a>, a teaser.</p></section>
    </article>`);
    expect(removed.map((block) => block.kind)).toEqual([
      'byline',
      'newsletter',
      'share-bar',
      'related-posts',
    ]);
    expect(removed[0]?.text).toBe('By Ann 4 May');
    expect(text).toContain(sentence('first 1'));
    expect(text).toContain(sentence('second 3'));
    for (const chrome of ['By Ann', 'weekly letter', 'Twitter', 'Another story'])
      expect(text).not.toContain(chrome);
  });

  it('keeps a block that holds half the article or more, whatever its name says', () => {
    const { removed, text } = extract(
      `<div class="wrapper"><div class="promo-box">${prose('main', 4)}</div>${prose('rest', 3)}</div>`,
    );
    expect(removed).toEqual([]);
    expect(text).toContain(sentence('main 4'));
  });

  it('keeps what only looks like chrome by name: an in-page contents list and a prose "related work" section', () => {
    const { removed, text, article } = extract(`<div class="content">
      <nav class="toc"><ul><li><a href="#idea">The idea</a></li><li><a href="#related-work">Related work</a></li></ul></nav>
      <h2 id="idea">The idea</h2>${prose('idea')}
      <section id="related-work" class="related-work"><h2>Related work</h2>${prose('earlier work', 2)}</section>
      ${prose('conclusion', 2)}</div>`);
    expect(removed).toEqual([]);
    expect(article.querySelector('nav')?.textContent).toBe('The ideaRelated work');
    expect(text).toContain(sentence('earlier work 2'));
  });

  it('keeps an inline element that belongs to a sentence', () => {
    const { removed, text } = extract(
      `<div class="post-body">${prose('intro')}<p>As <span class="author">Donald Knuth</span> wrote, premature optimisation is the root of much evil in programs.</p>${prose('outro')}</div>`,
    );
    expect(removed).toEqual([]);
    expect(text).toContain('As Donald Knuth wrote');
  });

  it('finds a text-only chrome div even after Readability rebuilt it as a paragraph without its class', () => {
    const { removed } = extract(
      `<div class="story">${prose('story')}<div class="ad-label">Advertisement</div>${prose('more')}</div>`,
    );
    expect(removed).toEqual([{ kind: 'advertisement', text: 'Advertisement' }]);
  });
});

describe('hasTextBeyondChrome', () => {
  it('is false when every word is a link or declared chrome, true as soon as one is not', () => {
    const { document } = parseHTML(
      '<!DOCTYPE html><html><body><div id="a"><a href="/">Home</a> <p data-chrome="site-footer">© me</p></div><div id="b"><a href="/">Home</a> and more</div></body></html>',
    );
    expect(hasTextBeyondChrome(document.getElementById('a') as Element)).toBe(false);
    expect(hasTextBeyondChrome(document.getElementById('b') as Element)).toBe(true);
  });
});
