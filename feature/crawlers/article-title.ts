import { flatText } from './flat-text.ts';
import { absoluteUrl } from './html-to-text.ts';

/**
 * Where a document's title came from: a platform's marked element, a title the page's own main
 * heading confirms, the page's metadata (`og:title`, JSON-LD), its `<title>`, Readability; across
 * a crawl, the feed entry's title, or a page title cut of the suffix the site repeats.
 */
export type TitleSource =
  | 'marked'
  | 'heading'
  | 'metadata'
  | 'title-element'
  | 'readability'
  | 'feed'
  | 'site-pattern';

// A separator between a title and a site or section name needs spaces around it, so "e-mail",
// "1/2" and "and/or" are not split.
const separator = /\s+(?:[|\-–—·•»/\\~]|::)\s+/;

/** A title cut at its separators: `parts[i]` and `parts[i + 1]` are joined by `separators[i]`. */
export function titleParts(title: string): { parts: string[]; separators: string[] } {
  const parts: string[] = [];
  const separators: string[] = [];
  let rest = title.trim();
  for (let match = separator.exec(rest); match; match = separator.exec(rest)) {
    parts.push(rest.slice(0, match.index));
    separators.push(match[0]);
    rest = rest.slice(match.index + match[0].length);
  }
  parts.push(rest);
  return { parts, separators };
}

/** The title made of parts `from` to `to` (exclusive), with their original separators. */
export function joinParts(
  split: { parts: string[]; separators: string[] },
  from: number,
  to: number,
): string {
  let text = split.parts[from] ?? '';
  for (let index = from + 1; index < to; index += 1) {
    text += `${split.separators[index - 1] ?? ' '}${split.parts[index] ?? ''}`;
  }
  return text.trim();
}

/** Lower case, `&` as "and", punctuation as spaces and no leading "the": how names are compared. */
export function comparable(text: string): string {
  return text
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/^the /, '');
}

function isSiteName(part: string, siteNames: readonly string[]): boolean {
  const name = comparable(part);
  if (name === '') return false;
  // "MDN" names the site "MDN Web Docs"; "tern 2.3 documentation" is the site "tern".
  return siteNames.some((site) => {
    const known = comparable(site);
    return known !== '' && (known === name || known.startsWith(`${name} `) || name.startsWith(`${known} `));
  });
}

/**
 * A page title without the site's name: when the page's main heading is the title or a run of its
 * parts, that run; otherwise the parts at either end that name the site are dropped. A title that
 * really contains a separator ("Rust vs. Go - A Practical Comparison") keeps it.
 */
export function withoutSiteName(
  title: string,
  clues: { siteNames: readonly string[]; headings: readonly string[] },
): { title: string; confirmed: boolean } {
  const split = titleParts(title);
  const count = split.parts.length;
  const headings = new Set(
    clues.headings.filter((heading) => !isSiteName(heading, clues.siteNames)).map(comparable),
  );
  // Longest first: the whole title, then every run that drops parts from one or both ends.
  for (let length = count; length >= 1; length -= 1) {
    for (let from = 0; from + length <= count; from += 1) {
      const candidate = joinParts(split, from, from + length);
      if (headings.has(comparable(candidate))) return { title: candidate, confirmed: true };
    }
  }
  let from = 0;
  let to = count;
  while (to - from > 1 && isSiteName(split.parts[to - 1] ?? '', clues.siteNames)) to -= 1;
  while (to - from > 1 && isSiteName(split.parts[from] ?? '', clues.siteNames)) from += 1;
  return { title: joinParts(split, from, to), confirmed: false };
}

function text(element: Element | null | undefined): string | null {
  return flatText(element) || null;
}

/**
 * Names the page gives its site: `og:site_name`, `application-name`, the publisher or WebSite in
 * its JSON-LD (`publisherName`), and the text (or logo alt) of links to the site's home page.
 */
export function siteNamesOf(document: Document, baseUrl: string, publisherName: string | null): string[] {
  const names = new Set<string>();
  for (const key of ['og:site_name', 'application-name', 'apple-mobile-web-app-title']) {
    const content = document
      .querySelector(`meta[property="${key}"], meta[name="${key}"]`)
      ?.getAttribute('content')
      ?.trim();
    if (content) names.add(content);
  }
  if (publisherName) names.add(publisherName);
  const home = new URL('/', baseUrl).href;
  for (const link of Array.from(document.querySelectorAll('a[href]')).slice(0, 50)) {
    if (absoluteUrl(link.getAttribute('href'), baseUrl) !== home) continue;
    const name = text(link) ?? link.querySelector('img[alt]')?.getAttribute('alt')?.trim();
    if (name) names.add(name);
  }
  return [...names];
}

/** The texts of the page's level-one headings, read before extraction changes the document. */
export function mainHeadingsOf(document: Document): string[] {
  return Array.from(document.querySelectorAll('h1'))
    .map((heading) => text(heading))
    .filter((heading): heading is string => heading !== null);
}
