import { SkipError } from '../../core/errors.ts';
import type { FetchedPage } from './http-fetcher.ts';

/** The kinds of text a crawler may accept. */
export type TextualKind = 'html' | 'xml' | 'json' | 'text';

const labels: Record<TextualKind, string> = { html: 'HTML', xml: 'XML', json: 'JSON', text: 'text' };

/** What the Content-Type header claims; `unknown` when it is missing or says nothing useful. */
function declaredKind(contentType: string): TextualKind | 'binary' | 'unknown' {
  if (
    contentType === '' ||
    contentType === 'application/octet-stream' ||
    contentType === 'binary/octet-stream'
  ) {
    return 'unknown';
  }
  if (contentType === 'text/html' || contentType === 'application/xhtml+xml') return 'html';
  if (contentType === 'application/xml' || contentType === 'text/xml' || contentType.endsWith('+xml'))
    return 'xml';
  if (contentType === 'application/json' || contentType.endsWith('+json')) return 'json';
  if (contentType.startsWith('text/')) return 'text';
  return 'binary';
}

const magicNumbers: readonly Buffer[] = [
  Buffer.from('%PDF-'),
  Buffer.from([0x89, 0x50, 0x4e, 0x47]), // PNG
  Buffer.from('GIF8'),
  Buffer.from([0xff, 0xd8, 0xff]), // JPEG
  Buffer.from([0x50, 0x4b, 0x03, 0x04]), // ZIP, docx, epub
  Buffer.from([0x1f, 0x8b]), // gzip
  Buffer.from('RIFF'), // webp, wav
  Buffer.from([0x00, 0x00, 0x01, 0x00]), // ico
];

/** What the body looks like: binary signatures and NUL characters, then the first markup. */
function sniffedKind(page: Pick<FetchedPage, 'body' | 'text'>): TextualKind | 'binary' {
  if (magicNumbers.some((magic) => page.body.subarray(0, magic.length).equals(magic))) return 'binary';
  const head = page.text.slice(0, 4096);
  // Checked on decoded text, so UTF-16 pages (full of NUL bytes) are not mistaken for binary.
  if (head.includes('\u0000')) return 'binary';
  const start = head.replace(/^\uFEFF/, '').replace(/^(\s|<!--[\s\S]*?-->)+/, '');
  if (/^<!doctype html|^<(html|head|body)\b/i.test(start)) return 'html';
  if (/^<\?xml/i.test(start)) return /^<\?xml[\s\S]*?<(html|!doctype html)\b/i.test(start) ? 'html' : 'xml';
  if (/^<(rss|feed|urlset|sitemapindex|rdf:rdf)\b/i.test(start)) return 'xml';
  if (/^[{[]/.test(start)) return 'json';
  if (/<(p|div|article|title|meta|h1|a)\b[^>]*>/i.test(start)) return 'html';
  return 'text';
}

/**
 * The kind of a fetched body. The header is believed unless the body proves it wrong: binary bytes
 * behind a text type, or a feed served as text/html or text/plain (common misconfigurations).
 */
export function contentKind(
  page: Pick<FetchedPage, 'contentType' | 'body' | 'text'>,
): TextualKind | 'binary' {
  const declared = declaredKind(page.contentType);
  if (declared === 'binary') return 'binary';
  const sniffed = sniffedKind(page);
  if (sniffed === 'binary' || declared === 'unknown') return sniffed;
  if (sniffed === 'xml' && (declared === 'html' || declared === 'text')) return 'xml';
  if (sniffed === 'html' && declared === 'text') return 'html';
  return declared;
}

/**
 * Refuses bodies a crawler cannot read, as a `SkipError` with the reason ("not HTML
 * (application/pdf)", "binary content"); returns the kind otherwise.
 */
export function assertTextual(
  page: Pick<FetchedPage, 'url' | 'contentType' | 'body' | 'text'>,
  accepted: readonly TextualKind[],
): TextualKind {
  const kind = contentKind(page);
  const wanted = accepted.map((name) => labels[name]).join(' or ');
  if (kind === 'binary') {
    const reason =
      declaredKind(page.contentType) === 'binary' ? `not ${wanted} (${page.contentType})` : 'binary content';
    throw new SkipError(page.url, reason);
  }
  if (!accepted.includes(kind)) {
    const declared = declaredKind(page.contentType);
    const found =
      declared === kind
        ? page.contentType
        : `${labels[kind]}${page.contentType ? ` served as ${page.contentType}` : ''}`;
    throw new SkipError(page.url, `not ${wanted} (${found})`);
  }
  return kind;
}

/**
 * The local name of an XML document's root element, lower-cased (`rss`, `feed`, `rdf`, `urlset`,
 * `sitemapindex`), or null when the text does not start with an element.
 */
export function xmlRootName(text: string): string | null {
  const start = text
    .slice(0, 8192)
    .replace(/^\uFEFF/, '')
    .replace(/^(\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>)+/i, '');
  const match = /^<([\w.-]+:)?([\w.-]+)/.exec(start);
  return match?.[2]?.toLowerCase() ?? null;
}
