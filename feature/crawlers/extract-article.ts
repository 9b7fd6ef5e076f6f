import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { mainHeadingsOf, siteNamesOf, type TitleSource, withoutSiteName } from './article-title.ts';
import { flatText } from './flat-text.ts';
import { absoluteUrl, htmlToText } from './html-to-text.ts';
import { keepHeadings } from './keep-headings.ts';
import { type PageMetadata, readPageMetadata } from './page-metadata.ts';
import { appendCitedNoteLists, collectNoteLists } from './referenced-notes.ts';
import {
  hasTextBeyondChrome,
  markChromeBlocks,
  type RemovedChrome,
  removeChromeBlocks,
} from './remove-chrome-blocks.ts';
import { replaceMathWithText } from './replace-math-with-text.ts';

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
  /** Where the title came from; `feed` and `site-pattern` are decided later, across a crawl. */
  titleSource: Exclude<TitleSource, 'feed' | 'site-pattern'>;
  subtitle: string | null;
  /** Markdown-flavoured text; see `htmlToText`. */
  content: string;
  /** Absolute URLs of the links and images inside the article text. */
  links: string[];
  images: string[];
  /** The chrome taken out of Readability's result (comment threads, share bars...), in page order. */
  removedChrome: RemovedChrome[];
};

/** Parses HTML with the page's URL as base, so relative links resolve the way a browser would. */
export function parseHtmlDocument(html: string, url: string): { document: Document; baseUrl: string } {
  const { document } = parseHTML(html);
  const baseUrl = absoluteUrl(document.querySelector('base[href]')?.getAttribute('href'), url) ?? url;
  // linkedom has no URL of its own; Readability reads these to make links absolute.
  Object.defineProperty(document, 'baseURI', { value: baseUrl, configurable: true });
  Object.defineProperty(document, 'documentURI', { value: url, configurable: true });
  return { document, baseUrl };
}

function squeeze(value: string | null | undefined): string | null {
  const squeezed = value?.replace(/\s+/g, ' ').trim();
  return squeezed ? squeezed : null;
}

function text(element: Element | null | undefined): string | null {
  return flatText(element) || null;
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

/** Tab panels hidden until their tab is clicked hold content (code in other languages, say). */
function showHiddenTabPanels(document: Document): void {
  for (const panel of Array.from(document.querySelectorAll('[role="tabpanel"][hidden]'))) {
    panel.removeAttribute('hidden');
  }
}

/**
 * The title: a platform's marked element, else the page's metadata or `<title>`, without the
 * site's name (see `withoutSiteName`); Readability's guess only when the page states no title.
 */
function pageTitle(
  document: Document,
  metadata: PageMetadata,
  baseUrl: string,
  marked: string | null,
): { title: string; source: ExtractedArticle['titleSource'] } | null {
  if (marked) return { title: marked, source: 'marked' };
  const stated = metadata.title ?? text(document.querySelector('title'));
  if (!stated) return null;
  const cleaned = withoutSiteName(stated, {
    siteNames: siteNamesOf(document, baseUrl, metadata.siteName),
    headings: mainHeadingsOf(document),
  });
  const source = cleaned.confirmed ? 'heading' : metadata.title ? 'metadata' : 'title-element';
  return { title: cleaned.title, source };
}

/**
 * Extracts the article of an HTML page with Mozilla Readability on a linkedom DOM. Readability's
 * result is the floor: formulas are turned into text first (see `replaceMathWithText`) and chrome
 * is only marked (see `markChromeBlocks`); afterwards only blocks inside its result that are
 * provably chrome are taken out (see `removeChromeBlocks`), and cited footnotes it dropped come
 * back. Returns null when nothing readable is left (an empty or navigation-only page).
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
  const stated = pageTitle(document, metadata, baseUrl, markedTitle);

  if (options.contentSelector) {
    const marked = document.querySelector(options.contentSelector);
    if (marked && document.body) document.body.replaceChildren(marked);
  }
  for (const selector of options.removeSelectors ?? []) {
    for (const element of Array.from(document.querySelectorAll(selector))) element.remove();
  }
  showHiddenTabPanels(document);
  replaceMathWithText(document);
  markChromeBlocks(document);
  keepHeadings(document);
  const noteLists = collectNoteLists(document);

  const parsed = new Readability<Node>(document, { keepClasses: true, serializer: (node) => node }).parse();
  if (!parsed?.content) return null;
  const article = parsed.content as Element;
  appendCitedNoteLists(article, noteLists);
  const removedChrome = removeChromeBlocks(article);
  if (!hasTextBeyondChrome(article)) return null;
  const rendered = htmlToText(article, baseUrl);
  const { title, source: titleSource } = stated ?? {
    title: squeeze(parsed.title) ?? '',
    source: 'readability' as const,
  };

  const content = withoutRepeatedTitle(rendered.text, title);
  if (content.replace(/^#{1,6} .*$/gm, '').trim() === '') return null;

  return {
    ...metadata,
    title,
    titleSource,
    subtitle,
    author: metadata.author ?? squeeze(parsed.byline),
    siteName: metadata.siteName ?? squeeze(parsed.siteName),
    language: metadata.language ?? squeeze(parsed.lang),
    description: metadata.description ?? squeeze(parsed.excerpt),
    content,
    links: rendered.links,
    images: rendered.images,
    removedChrome,
  };
}
