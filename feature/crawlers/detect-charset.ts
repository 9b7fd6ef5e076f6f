import iconv from 'iconv-lite';

// WHATWG Encoding maps these labels to windows-1252: pages labelled latin-1 routinely use its
// extra characters (’ “ ” – at 0x80–0x9f), and browsers decode them that way.
const aliases: Record<string, string> = {
  'iso-8859-1': 'windows-1252',
  iso8859_1: 'windows-1252',
  'iso_8859-1': 'windows-1252',
  latin1: 'windows-1252',
  l1: 'windows-1252',
  ascii: 'windows-1252',
  'us-ascii': 'windows-1252',
  'x-user-defined': 'windows-1252',
  utf8: 'utf-8',
  unicode: 'utf-16le',
};

/** How far into the body a `<meta charset>` or XML declaration is looked for (HTML's prescan uses 1024). */
const prescanBytes = 4096;

/** The charset named by a Content-Type header value (`text/html; charset=...`), or null. */
export function charsetFromContentType(contentType: string | undefined): string | null {
  const match = /;\s*charset\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType ?? '');
  return normalizeCharset(match?.[1] ?? match?.[2]);
}

function normalizeCharset(label: string | undefined): string | null {
  if (!label) return null;
  const lower = label.trim().toLowerCase();
  const name = aliases[lower] ?? lower;
  return iconv.encodingExists(name) ? name : null;
}

function charsetFromBom(body: Buffer): string | null {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  if (body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  return null;
}

function charsetFromMarkup(body: Buffer): string | null {
  // Every charset a page can declare in markup is ASCII-compatible, so a latin1 view is safe to scan.
  const head = body.subarray(0, prescanBytes).toString('latin1');
  const meta =
    /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head) ??
    /<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head);
  return normalizeCharset(meta?.[1]);
}

/**
 * The charset to decode a body with: a byte-order mark first (it cannot lie, and WHATWG lets it
 * override the header), then the Content-Type header, then `<meta charset>` / `http-equiv` / the XML
 * declaration in the first bytes, then utf-8.
 */
export function detectCharset(contentType: string | undefined, body: Buffer): string {
  return charsetFromBom(body) ?? charsetFromContentType(contentType) ?? charsetFromMarkup(body) ?? 'utf-8';
}

/** Decodes `body` with `charset` (as returned by `detectCharset`), dropping any byte-order mark. */
export function decodeBody(body: Buffer, charset: string): string {
  return iconv.decode(body, iconv.encodingExists(charset) ? charset : 'utf-8');
}
