/**
 * Pages made from a seed for the extraction property test: an article of paragraphs, headings,
 * lists, quotes, code and tables, inside wrappers whose class names hold chrome words as states
 * or layouts (`l-col--with-sidebar`, `has-comments`...), with chrome blocks placed inside and
 * around it. The generator knows which text is chrome, so a test can tell lost article from
 * removed chrome.
 */
export type GeneratedPage = { seed: number; html: string; articleText: string; chromeTexts: string[] };

/** mulberry32: a small, fast, well-mixed 32-bit generator; the same seed gives the same page. */
function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32;
  };
}

// Article and chrome draw on separate words, so a lost word says which of the two it came from.
const articleWords =
  'river stone garden winter kitchen engine harbour library orchard violin ladder lantern meadow bridge chapter method reason measure balance pattern season window valley thunder pencil marble basket candle forest island market journey number paper silver timber village weather yellow careful gentle honest narrow patient quiet simple steady sudden useful walks builds carries counts drifts explains follows gathers holds keeps lifts measures opens plants reads shapes tests turns waits writes across after before between during inside through under within slowly rarely often always nearly'.split(
    ' ',
  );
const chromeWords =
  'subscribe newsletter inbox weekly cookies consent accept preferences partners privacy share twitter facebook email copy link related stories popular trending comments reply replied avatar advertisement sponsored promoted login signup follow notifications settings'.split(
    ' ',
  );
// Class names that carry chrome words without naming chrome: states, layouts, behaviour hooks.
const wrapperClasses = [
  'l-col--with-sidebar',
  'site post-share-enabled',
  'post type-post has-comments',
  'layout has-sidebar',
  'page-wrap comments-open',
  'js-social-sticky',
  'container is-sticky-share',
  'main-column with-related',
  'l-wrapper--sidebar-right',
  'content-area',
];
const containerClasses = [
  'entry-content',
  'c-entry-content js-social-sticky',
  'article-body promo-ready',
  'post-body',
  'story-body',
  'markdown-body',
  'post-content has-comments',
  '',
];

export function generateArticlePage(seed: number): GeneratedPage {
  const random = randomFrom(seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const words = (lexicon: readonly string[], low: number, high: number) =>
    Array.from({ length: between(low, high) }, () => pick(lexicon)).join(' ');
  const sentence = () => {
    const text = words(articleWords, 8, 16);
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}, ${words(articleWords, 3, 7)}.`;
  };
  const article: string[] = [];
  const chromeTexts: string[] = [];
  const articleBlock = (html: string, text: string) => {
    article.push(text);
    return html;
  };
  const chrome = (html: string, text: string) => {
    chromeTexts.push(text);
    return html;
  };

  const blocks: string[] = [];
  const blockCount = between(5, 11);
  for (let index = 0; index < blockCount; index += 1) {
    const kind = index === 0 ? 'p' : pick(['p', 'p', 'p', 'p', 'h2', 'ul', 'quote', 'code', 'table']);
    switch (kind) {
      case 'h2': {
        const text = words(articleWords, 2, 5);
        blocks.push(articleBlock(`<h2>${text}</h2>`, text));
        break;
      }
      case 'ul': {
        const items = Array.from({ length: between(3, 5) }, () => words(articleWords, 4, 10));
        blocks.push(
          articleBlock(`<ul>\n${items.map((item) => `<li>${item}</li>`).join('\n')}\n</ul>`, items.join(' ')),
        );
        break;
      }
      case 'quote': {
        const text = sentence();
        blocks.push(articleBlock(`<blockquote><p>${text}</p></blockquote>`, text));
        break;
      }
      case 'code': {
        const lines = Array.from(
          { length: between(2, 4) },
          () => `${pick(articleWords)} = ${pick(articleWords)}(${pick(articleWords)});`,
        );
        blocks.push(articleBlock(`<pre><code>${lines.join('\n')}</code></pre>`, lines.join('\n')));
        break;
      }
      case 'table': {
        const rows = Array.from({ length: between(2, 4) }, () => [
          pick(articleWords),
          pick(articleWords),
          String(between(1, 99)),
        ]);
        const html = `<table>\n${rows.map((row) => `<tr><td>${row.join('</td>\n<td>')}</td></tr>`).join('\n')}\n</table>`;
        blocks.push(articleBlock(html, rows.flat().join(' ')));
        break;
      }
      default: {
        const text = Array.from({ length: between(2, 4) }, sentence).join(' ');
        blocks.push(articleBlock(`<p>${text}</p>`, text));
      }
    }
  }

  // Chrome inside the article container, at the top, the middle or the end.
  const inside: [string, number][] = [];
  const place = (html: string, where: number) => inside.push([html, where]);
  if (random() < 0.6) {
    const text = `${words(chromeWords, 2, 3)} ${between(1, 28)} ${words(chromeWords, 1, 2)}`;
    place(
      chrome(
        `<div class="${pick(['entry-meta', 'byline', 'post-meta', 'article-meta'])}"><span>${text}</span></div>`,
        text,
      ),
      0,
    );
  }
  if (random() < 0.5) {
    const text = words(chromeWords, 2, 4);
    const links = text
      .split(' ')
      .map((word) => `<a href="/share/${word}">${word}</a>`)
      .join(' ');
    place(
      chrome(
        `<div class="${pick(['share-buttons', 'sharedaddy sd-sharing-enabled', 'social-share', 'a2a_kit addtoany_list'])}">${links}</div>`,
        text,
      ),
      pick([0, blocks.length]),
    );
  }
  if (random() < 0.5) {
    const heading = words(chromeWords, 2, 3);
    const body = words(chromeWords, 8, 20);
    place(
      chrome(
        `<div class="${pick(['newsletter-signup', 'kg-signup-card', 'subscribe-box', 'mc4wp-form newsletter'])}"><h3>${heading}</h3>\n<p>${body}</p>\n<form><input type="email"><button>go</button></form></div>`,
        `${heading} ${body}`,
      ),
      between(1, blocks.length),
    );
  }
  if (random() < 0.4) {
    const text = words(chromeWords, 1, 2);
    place(
      chrome(
        `<div class="${pick(['ad-slot', 'advertisement', 'sponsored-block'])}"><span>${text}</span></div>`,
        text,
      ),
      between(1, blocks.length),
    );
  }
  if (random() < 0.5) {
    const titles = Array.from({ length: between(2, 4) }, () => words(chromeWords, 3, 6));
    const heading = words(chromeWords, 1, 2);
    place(
      chrome(
        `<div class="${pick(['related-posts', 'jp-relatedposts', 'yarpp-related', 'read-next', 'more-stories'])}"><h3>${heading}</h3>\n<ul>${titles.map((title) => `<li><a href="/p/${title.split(' ')[0]}">${title}</a></li>`).join('\n')}</ul></div>`,
        `${heading} ${titles.join(' ')}`,
      ),
      blocks.length,
    );
  }
  if (random() < 0.4) {
    const comments = Array.from({ length: between(2, 4) }, () => words(chromeWords, 12, 30));
    const heading = `${between(2, 40)} ${pick(chromeWords)}`;
    place(
      chrome(
        `<section id="comments" class="${pick(['comments-area', 'comments', 'comment-section', 'disqus-comments'])}"><h3>${heading}</h3>\n<ol class="comment-list">${comments.map((comment) => `<li class="comment"><p>${comment}</p></li>`).join('\n')}</ol></section>`,
        `${heading} ${comments.join(' ')}`,
      ),
      blocks.length,
    );
  }
  const body = blocks.map((block, index) =>
    [...inside.filter(([, where]) => where === index).map(([html]) => html), block].join('\n'),
  );
  body.push(...inside.filter(([, where]) => where >= blocks.length).map(([html]) => html));

  const tag = pick(['article', 'div', 'section']);
  let content = `<${tag} class="${pick(containerClasses)}">\n${body.join('\n')}\n</${tag}>`;
  for (let depth = between(0, 3); depth > 0; depth -= 1)
    content = `<div class="${pick(wrapperClasses)}">\n${content}\n</div>`;

  const cookieText = words(chromeWords, 15, 30);
  const cookie = chrome(
    `<div id="${pick(['cookie-notice', 'onetrust-banner-sdk', 'gdpr-consent'])}" class="${pick(['cookie-banner', 'cc-window', 'consent-bar'])}"><p>${cookieText}</p><button>accept</button></div>`,
    cookieText,
  );
  const navText = words(chromeWords, 3, 5);
  const nav = chrome(
    `<header><nav>${navText
      .split(' ')
      .map((word) => `<a href="/${word}">${word}</a>`)
      .join(' ')}</nav></header>`,
    navText,
  );
  const footerText = words(chromeWords, 4, 8);
  const footer = chrome(`<footer><p>${footerText}</p></footer>`, footerText);
  const title = words(articleWords, 3, 6);
  const cookieFirst = random() < 0.5;
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>\n${cookieFirst ? cookie : ''}\n${nav}\n${content}\n${footer}\n${cookieFirst ? '' : cookie}\n</body></html>`;
  return { seed, html, articleText: article.join('\n'), chromeTexts };
}
