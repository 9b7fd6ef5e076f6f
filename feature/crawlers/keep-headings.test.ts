import { describe, expect, it } from 'vitest';
import { extractArticle } from './extract-article.ts';
import { plainReadabilityText } from './test-support/article-corpus.ts';

const paragraph = (topic: string) =>
  `<p>${`The ${topic} section explains one idea in plain words, with an example and a number or two. `.repeat(4)}</p>`;

/** An article of three sections whose headings are written by `heading(text)`. */
function page(heading: (text: string) => string): string {
  const sections = ['First things', 'Second thoughts', 'Third time lucky']
    .map((text) => `${heading(text)}${paragraph(text.toLowerCase())}`)
    .join('');
  return `<html><head><title>Sections</title></head><body><nav><a href="/">Home</a></nav><article><h1>Sections</h1>${paragraph('opening')}${sections}</article></body></html>`;
}

const headingsOf = (html: string) =>
  (extractArticle(html, 'https://example.org/p/sections')?.content ?? '')
    .split('\n')
    .filter((line) => line.startsWith('#'));

describe('keepHeadings', () => {
  it("keeps headings Readability drops for their class (Substack's header-anchor-post)", () => {
    const html = page(
      (text) =>
        `<h2 class="header-anchor-post">${text}<div class="pencraft header-anchor-parent"><button class="pencraft">link</button></div></h2>`,
    );
    expect(plainReadabilityText(html)).not.toContain('Second thoughts');
    expect(headingsOf(html)).toEqual(['## First things', '## Second thoughts', '## Third time lucky']);
  });

  it("keeps headings in MediaWiki's mw-heading wrapper, without the [edit] link", () => {
    const html = page(
      (text) =>
        `<div class="mw-heading mw-heading2"><h2 id="${text.replace(/ /g, '_')}">${text}</h2><span class="mw-editsection"><span class="mw-editsection-bracket">[</span><a href="/w/index.php?title=Sections&amp;action=edit&amp;section=1">edit</a><span class="mw-editsection-bracket">]</span></span></div>`,
    );
    expect(headingsOf(html)).toEqual(['## First things', '## Second thoughts', '## Third time lucky']);
    expect(extractArticle(html, 'https://example.org/wiki/Sections')?.content).not.toContain('[edit]');
  });

  it('keeps a heading that is one self-link with an icon, as its text', () => {
    const html = page(
      (text) =>
        `<h2 class="text-xs font-semibold"><a class="group" href="#${text.replace(/ /g, '-')}"><div class="icon"><svg viewBox="0 0 16 16"><path d="M0 0h16"/></svg></div>${text}</a></h2>`,
    );
    expect(headingsOf(html)).toEqual(['## First things', '## Second thoughts', '## Third time lucky']);
  });

  it('leaves a heading named as chrome to the chrome rules', () => {
    const html = page((text) => `<h2>${text}</h2>`).replace(
      '</article>',
      `<section class="comments"><h2 class="comments-title">3 comments</h2><div class="comment"><p>Great post, thanks!</p></div></section></article>`,
    );
    const content = extractArticle(html, 'https://example.org/p/sections')?.content ?? '';
    expect(content).toContain('## Third time lucky');
    expect(content).not.toContain('3 comments');
  });
});
