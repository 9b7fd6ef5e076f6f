import type { Category } from '../types/category.ts';

/**
 * Version of the cleaning and chunking code. It is part of every feature set id: bump it whenever
 * a change here would turn the same raw text into different cleaned text or chunks.
 */
export const textProcessingVersion = 'text-v2';

const trackingParameter =
  /^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|ref_src|ref_url|_hsenc|_hsmi|mkt_tok|trk|trkCampaign|li_fat_id)$/i;

/** Lines that are publishing furniture, not the author's words. Matched on a whole line. */
const boilerplateLines = [
  /^(please\s+)?(subscribe|sign up)( now)?( to| for)? (my|our|the) (newsletter|blog|channel|substack)\b.*$/i,
  /^(share|share this( post| article)?|tweet|like|clap)( on [a-z]+)?[.!]?$/i,
  /^(thanks|thank you) for reading[^\n]{0,120}$/i,
  /^(originally )?published (at|on|in) [^\n]{1,200}$/i,
  /^follow (me|us) on [^\n]{1,120}$/i,
  /^(read more|continue reading|see more)( →|\.\.\.|…)?$/i,
  /^(\d+\s+)?(comments?|likes?|claps?|reposts?|reactions?)$/i,
  /^(we use cookies|this (site|website) uses cookies)[^\n]*$/i,
  /^(photo|image) (by|credit|courtesy)[^\n]{0,160}$/i,
  /^…?see more$/i,
];

/**
 * Turns a raw document's text into the text features are computed from. Prose (articles, posts) is
 * normalised hard: Unicode NFKC (so LinkedIn's 𝗯𝗼𝗹𝗱 letters become plain ones), invisible
 * characters, tracking parameters, publishing boilerplate and markdown emphasis markers go, blank
 * lines collapse. Emoji stay: they are part of how people write posts. Code is only freed of
 * control characters; its whitespace is meaning.
 */
export function cleanText(text: string, category: Category): string {
  const withoutControls = text
    .replace(/^\uFEFF/, '')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
  switch (category) {
    case 'repository':
      return withoutControls;
    case 'article':
    case 'post':
      return cleanProse(withoutControls);
    default: {
      const unreachable: never = category;
      throw new Error(`unknown category ${String(unreachable)}`);
    }
  }
}

function cleanProse(text: string): string {
  const normalised = text
    .replace(/\r\n?/g, '\n')
    .normalize('NFKC')
    // Zero-width and bidi marks; keep ZWJ (U+200D) and VS16 (U+FE0F) which hold emoji together.
    .replace(/[\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u00AD]/g, '')
    .replace(/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, ' ')
    .replace(/[\u2018\u2019\u201B]/g, "'")
    .replace(/[\u201C\u201D\u201F]/g, '"')
    .replace(/https?:\/\/[^\s)<>"\]]+/g, stripTracking);

  const lines: string[] = [];
  let inFence = false;
  for (const rawLine of normalised.split('\n')) {
    if (/^\s*(```|~~~)/.test(rawLine)) {
      inFence = !inFence;
      lines.push(rawLine.trimEnd());
      continue;
    }
    // Code quoted inside an article keeps its indentation.
    if (inFence) {
      lines.push(rawLine.trimEnd());
      continue;
    }
    const line = rawLine
      .replace(/[ \t]+/g, ' ')
      .trim()
      .replace(/(\*\*|__)(?=\S)(.+?)(?<=[^\s\\])\1/g, '$2')
      // Emphasis sits between anything but letters and digits ("*really*", (*so*), “*this*”), never
      // inside a word (snake_case_name, 2*3*4).
      .replace(
        /(^|[^\p{L}\p{N}\\])([*_])(?=\S)((?:\\[*_]|[^*_\n])+?)(?<=[^\s\\])\2(?![\p{L}\p{N}])/gu,
        '$1$3',
      )
      // Markdown's escapes of a literal asterisk, underscore or dollar.
      .replace(/\\([*_$])/g, '$1');
    if (boilerplateLines.some((pattern) => pattern.test(line))) continue;
    lines.push(line);
  }
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function stripTracking(url: string): string {
  // Keep trailing sentence punctuation out of the URL parser.
  const trailing = /[.,;:!?]+$/.exec(url)?.[0] ?? '';
  const bare = trailing ? url.slice(0, -trailing.length) : url;
  let parsed: URL;
  try {
    parsed = new URL(bare);
  } catch {
    return url;
  }
  const kept = [...parsed.searchParams].filter(([name]) => !trackingParameter.test(name));
  if (kept.length === [...parsed.searchParams].length) return url;
  parsed.search = new URLSearchParams(kept).toString();
  return `${parsed.toString()}${trailing}`;
}

/** The cleaning applied to a search query: the same as for posts, the shortest prose category. */
export function cleanQuery(query: string): string {
  return cleanText(query, 'post');
}
