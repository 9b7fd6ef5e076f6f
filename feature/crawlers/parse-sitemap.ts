import { DOMParser } from 'linkedom';
import { absoluteUrl } from './html-to-text.ts';

export type SitemapUrl = { loc: string; lastModified: string | null };

/** A sitemap lists pages; a sitemap index lists further sitemaps (sitemaps.org protocol). */
export type Sitemap = { kind: 'urlset'; urls: SitemapUrl[] } | { kind: 'index'; sitemaps: string[] };

function localName(element: Element): string {
  return element.tagName.toLowerCase().replace(/^.*:/, '');
}

function childrenNamed(parent: Element, name: string): Element[] {
  return Array.from(parent.children).filter((child) => localName(child) === name);
}

function childText(parent: Element, name: string): string | null {
  return childrenNamed(parent, name)[0]?.textContent?.trim() || null;
}

/**
 * Parses an XML sitemap or sitemap index, or a plain-text sitemap (one URL per line, which the
 * protocol also allows). Null when `text` is none of them. Only http(s) URLs are kept.
 */
export function parseSitemap(text: string, sitemapUrl: string): Sitemap | null {
  if (!/^\s*</.test(text)) {
    const lines = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    const urls = lines
      .map((line) => absoluteUrl(line, sitemapUrl))
      .filter((url): url is string => url !== null);
    return lines.length > 0 &&
      urls.length === lines.length &&
      lines.every((line) => /^https?:\/\//i.test(line))
      ? { kind: 'urlset', urls: urls.map((loc) => ({ loc, lastModified: null })) }
      : null;
  }
  // linkedom's own types are looser than the DOM's it implements.
  const document = new DOMParser().parseFromString(text, 'text/xml') as unknown as XMLDocument;
  const root = document.documentElement;
  if (!root) return null;
  const kind = localName(root);
  if (kind === 'sitemapindex') {
    const sitemaps = childrenNamed(root, 'sitemap')
      .map((entry) => absoluteUrl(childText(entry, 'loc'), sitemapUrl))
      .filter((url): url is string => url !== null);
    return { kind: 'index', sitemaps };
  }
  if (kind === 'urlset') {
    const urls = childrenNamed(root, 'url').flatMap((entry) => {
      const loc = absoluteUrl(childText(entry, 'loc'), sitemapUrl);
      return loc ? [{ loc, lastModified: childText(entry, 'lastmod') }] : [];
    });
    return { kind: 'urlset', urls };
  }
  return null;
}
