import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { absoluteUrl, htmlToText } from './html-to-text.ts';
import { type PageMetadata, readPageMetadata } from './page-metadata.ts';

/** Platform knowledge a crawler can pass to the shared extraction. */
export type ArticleExtractionOptions = {
  /** Element known to hold the article (Medium's `article`, Substack's `.available-content`); first match wins. */
  contentSelector?: string;
  /** Platform chrome to drop before extraction (follow buttons, paywall prompts...). */
  removeSelectors?: readonly string[];
  /** Elements holding the title and subtitle, when the platform marks them. */
  titleSelector?: string;
  subtitleSelector?: string;
};

/** An article pulled out of a page: readable text plus what the page said about it. */
export type ExtractedArticle = Omit<PageMetadata, 'title'> & {
  title: string;
  subtitle: string | null;
  /** Markdown-flavoured text; see `htmlToText`. */
  content: string;
  /** Absolute URLs of the links and images inside the article text. */
  links: string[];
  images: string[];
};

// Page chrome that Readability sometimes keeps: cookie banners and comment threads in particular
// score like prose, and a byline is metadata (kept as such), not the author's writing. Matched on
// whole words of id and class.
const chromePattern =
  /(?:^|[\s_-])(?:cookies?|consent|gdpr|comments?|disqus|newsletter|subscribe|share|sharing|social|related|sidebar|popup|modal|advert|advertisement|ads|promo|breadcrumbs?|skip-link|byline|dateline|post-meta|entry-meta|article-meta|site-header|footer)(?:[\s_-]|$)/i;
const chromeSelectors = [
  'nav',
  '[role="navigation"]',
  '[role="banner"]',
  '[role="contentinfo"]',
  '[role="complementary"]',
  '[role="dialog"]',
  '[role="alertdialog"]',
  '[aria-modal="true"]',
  'dialog',
  'footer',
  'style',
  'noscript',
  'template',
  'iframe',
];

/** Parses HTML with the page's URL as base, so relative links resolve the way a browser would. */
export function parseHtmlDocument(html: string, url: string): { document: Document; baseUrl: string } {
  const { document } = parseHTML(html);
  const baseUrl = absoluteUrl(document.querySelector('base[href]')?.getAttribute('href'), url) ?? url;
  // linkedom has no URL of its own; Readability reads these to make links absolute.
  Object.defineProperty(document, 'baseURI', { value: baseUrl, configurable: true });
  Object.defineProperty(document, 'documentURI', { value: url, configurable: true });
  return { document, baseUrl };
}

function removeChrome(document: Document, extra: readonly string[]): void {
  for (const selector of [...chromeSelectors, ...extra]) {
    for (const element of Array.from(document.querySelectorAll(selector))) element.remove();
  }
  // A header outside the article is the site's; one inside it holds title and byline, kept for now.
  for (const header of Array.from(document.querySelectorAll('header'))) {
    if (!header.closest('article')) header.remove();
  }
  for (const element of Array.from(document.querySelectorAll('[class], [id]'))) {
    const tag = element.tagName.toUpperCase();
    if (tag === 'HTML' || tag === 'BODY' || tag === 'MAIN' || tag === 'ARTICLE') continue;
    // `class="post comments-open"` on a wrapper must not take the article with it.
    if (element.querySelector('article, main')) continue;
    const names = `${element.getAttribute('id') ?? ''} ${element.getAttribute('class') ?? ''}`;
    if (chromePattern.test(names)) element.remove();
  }
}

function squeeze(value: string | null | undefined): string | null {
  const squeezed = value?.replace(/\s+/g, ' ').trim();
  return squeezed ? squeezed : null;
}

function text(element: Element | null | undefined): string | null {
  return squeeze(element?.textContent);
}

function normalized(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Drops a first heading that only repeats the title: the title is kept once, as the title. */
export function withoutRepeatedTitle(text: string, title: string): string {
  const blocks = text.split('\n\n');
  const first = /^#{1,6} (.*)$/.exec(blocks[0] ?? '')?.[1];
  if (first !== undefined && title && normalized(first) === normalized(title)) blocks.shift();
  return blocks.join('\n\n').trim();
}

/**
 * Extracts the article of an HTML page with Mozilla Readability on a linkedom DOM, after dropping
 * site chrome. Returns null when nothing readable is left (an empty or navigation-only page).
 */
export function extractArticle(
  html: string,
  url: string,
  options: ArticleExtractionOptions = {},
): ExtractedArticle | null {
  const { document, baseUrl } = parseHtmlDocument(html, url);
  const metadata = readPageMetadata(document, baseUrl);
  const markedTitle = options.titleSelector ? text(document.querySelector(options.titleSelector)) : null;
  const subtitle = options.subtitleSelector ? text(document.querySelector(options.subtitleSelector)) : null;
  const documentTitle = text(document.querySelector('title'));

  if (options.contentSelector) {
    const marked = document.querySelector(options.contentSelector);
    if (marked && document.body) document.body.replaceChildren(marked);
  }
  removeChrome(document, options.removeSelectors ?? []);

  const parsed = new Readability<Node>(document, { keepClasses: true, serializer: (node) => node }).parse();
  if (!parsed?.content) return null;
  const rendered = htmlToText(parsed.content as Element, baseUrl);
  const title = markedTitle ?? metadata.title ?? squeeze(parsed.title) ?? documentTitle ?? '';

  const content = withoutRepeatedTitle(rendered.text, title);
  if (content.replace(/^#{1,6} .*$/gm, '').trim() === '') return null;

  return {
    ...metadata,
    title,
    subtitle,
    author: metadata.author ?? squeeze(parsed.byline),
    siteName: metadata.siteName ?? squeeze(parsed.siteName),
    language: metadata.language ?? squeeze(parsed.lang),
    description: metadata.description ?? squeeze(parsed.excerpt),
    content,
    links: rendered.links,
    images: rendered.images,
  };
}
