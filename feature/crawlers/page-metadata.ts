import { comparable } from './article-title.ts';
import { absoluteUrl } from './html-to-text.ts';

/** Facts about a page read from its <head>, JSON-LD and markup, before any content extraction. */
export type PageMetadata = {
  title: string | null;
  author: string | null;
  publishedAt: string | null;
  modifiedAt: string | null;
  canonicalUrl: string | null;
  siteName: string | null;
  language: string | null;
  description: string | null;
  tags: string[];
  /** `<meta name="generator">`, which tells blog engines apart (Substack, WordPress, Ghost...). */
  generator: string | null;
  /** RSS/Atom feeds the page advertises with <link rel="alternate">. */
  feeds: string[];
};

type JsonObject = Record<string, unknown>;

const articleTypes = new Set([
  'article',
  'blogposting',
  'newsarticle',
  'techarticle',
  'socialmediaposting',
  'scholarlyarticle',
  'report',
  'posting',
]);

function clean(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.replace(/\s+/g, ' ').trim();
  return text === '' ? null : text;
}

/**
 * A JSON-LD string as text: some sites write JSON-LD values HTML-escaped ("Chewy &amp; Crisp"),
 * and a script's content is never unescaped by the parser, so entities are decoded here.
 */
function jsonText(document: Document, value: unknown): string | null {
  const text = clean(value);
  if (!text?.includes('&')) return text;
  const scratch = document.createElement('div');
  scratch.innerHTML = text;
  return clean(scratch.textContent);
}

/**
 * JSON-LD's headline is the article's title on most sites, but some put another sentence there
 * (Wikipedia: "building technique using stones without mortar" on "Dry stone walling"). When it
 * and og:title disagree, the one the page's own <title> or first <h1> contains wins; the headline
 * when neither or both do.
 */
function statedTitle(headline: string | null, social: string | null, document: Document): string | null {
  if (!headline || !social || comparable(headline) === comparable(social)) return headline ?? social;
  const page = comparable(
    `${document.querySelector('title')?.textContent ?? ''} ${document.querySelector('h1')?.textContent ?? ''}`,
  );
  if (!page.includes(comparable(headline)) && page.includes(comparable(social))) return social;
  return headline;
}

/** An ISO 8601 timestamp for any date string `Date` understands, else null. */
export function toIsoDate(value: unknown): string | null {
  const text = clean(value);
  if (!text) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every JSON-LD node on the page, @graph and arrays flattened; unparsable blocks are ignored. */
function jsonLdNodes(document: Document): JsonObject[] {
  const nodes: JsonObject[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) {
      nodes.push(value);
      if (value['@graph']) visit(value['@graph']);
    }
  };
  for (const script of Array.from(document.querySelectorAll('script[type="application/ld+json"]'))) {
    try {
      visit(JSON.parse(script.textContent ?? ''));
    } catch {
      // Broken JSON-LD is common; the meta tags usually say the same.
    }
  }
  return nodes;
}

function typesOf(node: JsonObject): string[] {
  const type = node['@type'];
  const types = Array.isArray(type) ? type : [type];
  return types
    .filter((entry): entry is string => typeof entry === 'string')
    .map((entry) => entry.toLowerCase());
}

function personName(value: unknown): string | null {
  if (Array.isArray(value)) {
    const names = value.map(personName).filter((name): name is string => name !== null);
    return names.length > 0 ? names.join(', ') : null;
  }
  if (isObject(value)) return clean(value.name);
  return clean(value);
}

function keywords(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keywords);
  const text = clean(value);
  return text
    ? text
        .split(',')
        .map((word) => word.trim())
        .filter(Boolean)
    : [];
}

function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

/** Reads page facts; relative URLs resolve against `baseUrl` (the page URL, or its <base href>). */
export function readPageMetadata(document: Document, baseUrl: string): PageMetadata {
  const meta = (...keys: string[]): string | null => {
    for (const key of keys) {
      const element = document.querySelector(
        `meta[property="${key}"], meta[name="${key}"], meta[itemprop="${key}"]`,
      );
      const value = clean(element?.getAttribute('content'));
      if (value) return value;
    }
    return null;
  };
  const link = (rel: string) =>
    absoluteUrl(document.querySelector(`link[rel="${rel}"]`)?.getAttribute('href'), baseUrl);
  const nodes = jsonLdNodes(document);
  const article =
    nodes.find((node) => typesOf(node).some((type) => articleTypes.has(type))) ?? nodes[0] ?? {};
  const articleAuthor = meta('article:author');
  const time = document.querySelector('article time[datetime]') ?? document.querySelector('time[datetime]');
  const publisher = isObject(article.publisher) ? article.publisher : {};
  const mainEntity = isObject(article.mainEntityOfPage)
    ? article.mainEntityOfPage['@id']
    : article.mainEntityOfPage;

  return {
    // <title> often carries the site name too; the extractor falls back to Readability's cleaned title.
    title: statedTitle(jsonText(document, article.headline), meta('og:title', 'twitter:title'), document),
    author:
      meta('author') ??
      (articleAuthor && !isUrl(articleAuthor) ? articleAuthor : null) ??
      personName(article.author) ??
      clean(document.querySelector('[rel="author"]')?.textContent),
    publishedAt:
      toIsoDate(meta('article:published_time')) ??
      toIsoDate(article.datePublished) ??
      toIsoDate(meta('datePublished', 'date', 'dc.date', 'DC.date.issued', 'pubdate')) ??
      toIsoDate(time?.getAttribute('datetime')),
    modifiedAt: toIsoDate(meta('article:modified_time')) ?? toIsoDate(article.dateModified),
    canonicalUrl:
      link('canonical') ??
      absoluteUrl(meta('og:url'), baseUrl) ??
      absoluteUrl(typeof mainEntity === 'string' ? mainEntity : null, baseUrl),
    siteName: meta('og:site_name', 'application-name') ?? clean(publisher.name),
    language:
      clean(document.documentElement?.getAttribute('lang')) ??
      meta('og:locale') ??
      clean(document.querySelector('meta[http-equiv="content-language"]')?.getAttribute('content')) ??
      clean(article.inLanguage),
    description: meta('description', 'og:description', 'twitter:description') ?? clean(article.description),
    tags: [...new Set([...metaAll(document, 'article:tag'), ...keywords(article.keywords)])],
    generator: meta('generator'),
    feeds: Array.from(
      document.querySelectorAll(
        'link[rel="alternate"][type="application/rss+xml"], link[rel="alternate"][type="application/atom+xml"]',
      ),
    )
      .map((element) => absoluteUrl(element.getAttribute('href'), baseUrl))
      .filter((href): href is string => href !== null),
  };
}

function metaAll(document: Document, property: string): string[] {
  return Array.from(document.querySelectorAll(`meta[property="${property}"]`))
    .map((element) => clean(element.getAttribute('content')))
    .filter((value): value is string => value !== null);
}
