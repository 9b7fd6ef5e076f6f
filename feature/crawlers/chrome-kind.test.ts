import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { chromeKindOf } from './chrome-kind.ts';

function kindOf(html: string) {
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`);
  return chromeKindOf(document.body.firstElementChild as Element);
}

describe('chromeKindOf', () => {
  it('is null for the wrapper and container classes that cost whole articles', () => {
    for (const names of [
      'l-col--with-sidebar',
      'post-812 post type-post hentry category-workshop has-comments',
      'site post-share-enabled',
      'c-entry-content js-social-sticky',
      'article-body promo-ready',
      'showing-comments show-avatars',
      'ssrcss-68pt20-Text-TextContributorName',
    ]) {
      expect(kindOf(`<div class="${names}"><p>text</p></div>`), names).toBeNull();
    }
  });

  it('names chrome by a part of a class or id, a compound of parts, or a component name', () => {
    expect(kindOf('<div id="comments" class="comments-area"></div>')).toBe('comments');
    expect(kindOf('<div id="disqus_thread"></div>')).toBe('comments');
    expect(kindOf('<div class="sharedaddy sd-sharing-enabled"></div>')).toBe('share-bar');
    expect(kindOf('<div id="jp-relatedposts" class="jp-relatedposts"></div>')).toBe('related-posts');
    expect(kindOf('<aside class="read-next"></aside>')).toBe('related-posts');
    expect(kindOf('<div class="kg-signup-card"></div>')).toBe('newsletter');
    expect(kindOf('<div id="onetrust-consent-sdk"></div>')).toBe('cookie-notice');
    expect(kindOf('<div id="cookie-law-info-bar"></div>')).toBe('cookie-notice');
    expect(kindOf('<span class="screen-reader-text"></span>')).toBe('screen-reader-text');
    expect(kindOf('<div data-component="byline-block"></div>')).toBe('byline');
    expect(kindOf('<div class="story-ad-1-wrapper"></div>')).toBe('advertisement');
    expect(kindOf('<div class="votecell post-layout--left"></div>')).toBe('votes');
  });

  it('reads roles and tags, and a first heading that names the block', () => {
    expect(kindOf('<div role="dialog"></div>')).toBe('dialog');
    expect(kindOf('<div aria-modal="true"></div>')).toBe('dialog');
    expect(kindOf('<nav class="toc"></nav>')).toBe('navigation');
    expect(kindOf('<div><h2>More on this story</h2><ul></ul></div>')).toBe('related-posts');
    expect(kindOf('<div><h3>Share this:</h3></div>')).toBe('share-bar');
    expect(kindOf('<section><h2>Related work</h2><p>Morris introduced</p></section>')).toBeNull();
    // The name says chrome; whether the section looks like it is `removeChromeBlocks`' call.
    expect(kindOf('<section id="related-work"><h2>Related work</h2></section>')).toBe('related-posts');
  });
});
