import { DOMParser, parseHTML } from 'linkedom';
import { absoluteUrl } from './html-to-text.ts';
import { toIsoDate } from './page-metadata.ts';

/** One entry of a feed. `contentHtml` is the full post when the feed carries it (content:encoded, Atom content). */
export type FeedEntry = {
  link: string | null;
  id: string | null;
  title: string | null;
  publishedAt: string | null;
  author: string | null;
  contentHtml: string | null;
  summaryHtml: string | null;
  categories: string[];
};

export type Feed = {
  format: 'rss' | 'atom' | 'rdf';
  title: string | null;
  link: string | null;
  entries: FeedEntry[];
};

function children(parent: Element, ...names: string[]): Element[] {
  const wanted = names.map((name) => name.toLowerCase());
  return Array.from(parent.children).filter((child) => wanted.includes(child.tagName.toLowerCase()));
}

function childText(parent: Element, ...names: string[]): string | null {
  for (const name of names) {
    const value = children(parent, name)[0]?.textContent?.trim();
    if (value) return value;
  }
  return null;
}

/** Text of an Atom text construct: type="html" and "xhtml" hold markup, rendered to its text here. */
function atomText(element: Element | undefined): string | null {
  if (!element) return null;
  const type = element.getAttribute('type') ?? 'text';
  const raw = type === 'xhtml' ? element.innerHTML : (element.textContent ?? '');
  const text =
    type === 'text'
      ? raw
      : (parseHTML(`<!DOCTYPE html><html><body>${raw}</body></html>`).document.body.textContent ?? '');
  const value = text.replace(/\s+/g, ' ').trim();
  return value === '' ? null : value;
}

/** HTML of an Atom content element; plain text is escaped so it renders as text. */
function atomHtml(element: Element | undefined): string | null {
  if (!element || element.getAttribute('src')) return null;
  const type = element.getAttribute('type') ?? 'text';
  if (type === 'xhtml') return element.innerHTML.trim() || null;
  const value = element.textContent?.trim() ?? '';
  if (value === '') return null;
  if (type === 'html' || type === 'text/html') return value;
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\n\s*\n/g, '<br><br>');
}

/** An element's xml:base resolved against its parents' and the feed URL, as Atom specifies. */
function baseOf(element: Element, feedUrl: string): string {
  const chain: string[] = [];
  for (let node: Element | null = element; node; node = node.parentElement) {
    const base = node.getAttribute('xml:base');
    if (base) chain.unshift(base);
  }
  return chain.reduce((base, next) => absoluteUrl(next, base) ?? base, feedUrl);
}

function atomLink(entry: Element, base: string): string | null {
  const links = children(entry, 'link');
  const alternate =
    links.find(
      (link) =>
        (link.getAttribute('rel') ?? 'alternate') === 'alternate' &&
        link.getAttribute('type') !== 'application/atom+xml',
    ) ?? links.find((link) => !link.getAttribute('rel'));
  return absoluteUrl(alternate?.getAttribute('href'), base);
}

function rssEntry(item: Element, feedUrl: string): FeedEntry {
  const guid = children(item, 'guid')[0];
  const guidText = guid?.textContent?.trim() || null;
  const permalink =
    guid && guid.getAttribute('isPermaLink') !== 'false' ? absoluteUrl(guidText, feedUrl) : null;
  return {
    link: absoluteUrl(childText(item, 'link', 'feedburner:origLink'), feedUrl) ?? permalink,
    id: guidText,
    title: childText(item, 'title'),
    publishedAt: toIsoDate(childText(item, 'pubDate', 'dc:date', 'published', 'updated')),
    author: childText(item, 'dc:creator', 'author'),
    contentHtml: childText(item, 'content:encoded'),
    summaryHtml: childText(item, 'description'),
    categories: children(item, 'category', 'dc:subject')
      .map((category) => category.textContent?.trim() ?? '')
      .filter(Boolean),
  };
}

function atomEntry(entry: Element, feedUrl: string, feedAuthor: string | null): FeedEntry {
  const base = baseOf(entry, feedUrl);
  const author = children(entry, 'author')[0];
  return {
    link: atomLink(entry, base),
    id: childText(entry, 'id'),
    title: atomText(children(entry, 'title')[0]),
    publishedAt: toIsoDate(childText(entry, 'published', 'updated', 'issued')),
    author: (author ? childText(author, 'name') : null) ?? feedAuthor,
    contentHtml: atomHtml(children(entry, 'content')[0]),
    summaryHtml: atomHtml(children(entry, 'summary')[0]),
    categories: children(entry, 'category')
      .map((category) => category.getAttribute('term') ?? category.getAttribute('label') ?? '')
      .filter(Boolean),
  };
}

/** Parses RSS 2.0, RSS 1.0 (RDF) and Atom; null when `xml` is none of them. Links come out absolute. */
export function parseFeed(xml: string, feedUrl: string): Feed | null {
  // linkedom's own types are looser than the DOM's it implements.
  const document = new DOMParser().parseFromString(xml, 'text/xml') as unknown as XMLDocument;
  const root = document.documentElement;
  const rootName = root?.tagName.toLowerCase();
  if (!root || !rootName) return null;
  if (rootName === 'feed') {
    const feedAuthorElement = children(root, 'author')[0];
    const feedAuthor = feedAuthorElement ? childText(feedAuthorElement, 'name') : null;
    return {
      format: 'atom',
      title: atomText(children(root, 'title')[0]),
      link: atomLink(root, baseOf(root, feedUrl)),
      entries: children(root, 'entry').map((entry) => atomEntry(entry, feedUrl, feedAuthor)),
    };
  }
  if (rootName === 'rss' || rootName === 'rdf:rdf' || rootName === 'rdf') {
    const channel = root.getElementsByTagName('channel')[0];
    // RSS 2.0 nests items in <channel>; RSS 1.0 puts them beside it.
    const items = channel ? children(channel, 'item') : [];
    const all = items.length > 0 ? items : children(root, 'item');
    return {
      format: rootName === 'rss' ? 'rss' : 'rdf',
      title: channel ? childText(channel, 'title') : null,
      link: channel ? absoluteUrl(childText(channel, 'link'), feedUrl) : null,
      entries: all.map((item) => rssEntry(item, feedUrl)),
    };
  }
  return null;
}
