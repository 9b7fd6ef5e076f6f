import { flatText } from './flat-text.ts';

/** The kinds of page chrome taken out of an extracted article. */
export type ChromeKind =
  | 'cookie-notice'
  | 'dialog'
  | 'comments'
  | 'share-bar'
  | 'newsletter'
  | 'related-posts'
  | 'advertisement'
  | 'byline'
  | 'breadcrumbs'
  | 'navigation'
  | 'sidebar'
  | 'tags'
  | 'votes'
  | 'site-header'
  | 'site-footer'
  | 'screen-reader-text'
  | 'feedback';

// Words that name chrome when they are a part of a class or id ("comments-area", "jp-relatedposts").
const chromeParts: Record<string, ChromeKind> = {
  cookie: 'cookie-notice',
  cookies: 'cookie-notice',
  consent: 'cookie-notice',
  gdpr: 'cookie-notice',
  onetrust: 'cookie-notice',
  cookiebot: 'cookie-notice',
  popup: 'dialog',
  modal: 'dialog',
  lightbox: 'dialog',
  comment: 'comments',
  comments: 'comments',
  commentlist: 'comments',
  disqus: 'comments',
  respond: 'comments',
  share: 'share-bar',
  sharing: 'share-bar',
  sharedaddy: 'share-bar',
  sharethis: 'share-bar',
  addtoany: 'share-bar',
  a2a: 'share-bar',
  social: 'share-bar',
  newsletter: 'newsletter',
  subscribe: 'newsletter',
  subscription: 'newsletter',
  signup: 'newsletter',
  optin: 'newsletter',
  mailchimp: 'newsletter',
  cta: 'newsletter',
  related: 'related-posts',
  relatedposts: 'related-posts',
  yarpp: 'related-posts',
  recirculation: 'related-posts',
  outbrain: 'related-posts',
  taboola: 'related-posts',
  recommended: 'related-posts',
  ad: 'advertisement',
  ads: 'advertisement',
  advert: 'advertisement',
  advertisement: 'advertisement',
  advertising: 'advertisement',
  adslot: 'advertisement',
  sponsor: 'advertisement',
  sponsored: 'advertisement',
  promo: 'advertisement',
  byline: 'byline',
  dateline: 'byline',
  date: 'byline',
  postdate: 'byline',
  meta: 'byline',
  author: 'byline',
  signature: 'byline',
  breadcrumb: 'breadcrumbs',
  breadcrumbs: 'breadcrumbs',
  nav: 'navigation',
  navbar: 'navigation',
  navigation: 'navigation',
  menu: 'navigation',
  pagination: 'navigation',
  pager: 'navigation',
  paginav: 'navigation',
  sidebar: 'sidebar',
  widget: 'sidebar',
  tags: 'tags',
  taglist: 'tags',
  tagcloud: 'tags',
  vote: 'votes',
  votes: 'votes',
  votecell: 'votes',
  voting: 'votes',
  masthead: 'site-header',
  footer: 'site-footer',
  foot: 'site-footer',
  feedback: 'feedback',
};
// Chrome that only a run of parts names: "read-next", "screen-reader-text", "more-stories".
const chromeCompounds: Record<string, ChromeKind> = {
  readnext: 'related-posts',
  readmore: 'related-posts',
  morestories: 'related-posts',
  moreonthisstory: 'related-posts',
  topstories: 'related-posts',
  mostread: 'related-posts',
  siteheader: 'site-header',
  sitefooter: 'site-footer',
  skiplink: 'navigation',
  screenreadertext: 'screen-reader-text',
  sronly: 'screen-reader-text',
  visuallyhidden: 'screen-reader-text',
  authorbio: 'byline',
  authorbox: 'byline',
};
// Parts that describe a state or a behaviour hook, not what the element is: `has-comments`,
// `post-share-enabled`, `js-social-sticky`, `promo-ready` sit on articles every day.
const modifierParts = new Set([
  'has',
  'with',
  'is',
  'js',
  'no',
  'not',
  'enabled',
  'enable',
  'disabled',
  'ready',
  'active',
  'open',
  'opened',
  'closed',
  'sticky',
  'visible',
  'show',
  'showing',
  'allowed',
  'allow',
  'count',
  'loaded',
  'loading',
  'toggle',
  'trigger',
]);
// Last parts that name the content itself: `c-entry-content`, `article-body`, `js-post-body`.
const contentParts = new Set([
  'content',
  'body',
  'text',
  'prose',
  'markdown',
  'article',
  'story',
  'entry',
  'post',
]);

function partsOf(token: string): string[] {
  // In BEM, what follows `--` is a modifier of the block (`l-col--with-sidebar`), not its name.
  const [block = ''] = token.split('--');
  return block
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** What one class name, id or component name declares: chrome of some kind, content, or nothing. */
type NameMeaning = ChromeKind | 'content' | null;

function meaningOf(token: string): NameMeaning {
  const parts = partsOf(token);
  if (parts.some((part) => modifierParts.has(part))) return null;
  for (const part of parts) {
    const kind = chromeParts[part];
    if (kind) return kind;
  }
  for (let start = 0; start < parts.length; start += 1) {
    for (let end = start + 2; end <= parts.length; end += 1) {
      const kind = chromeCompounds[parts.slice(start, end).join('')];
      if (kind) return kind;
    }
  }
  return contentParts.has(parts[parts.length - 1] ?? '') ? 'content' : null;
}

// Pages repeat class names on every paragraph, and sites on every page: each is read once. Cleared
// when full, so a long crawl of sites with generated class names does not grow it for ever.
const meanings = new Map<string, NameMeaning>();

function cachedMeaningOf(token: string): NameMeaning {
  let meaning = meanings.get(token);
  if (meaning === undefined) {
    if (meanings.size >= 20_000) meanings.clear();
    meaning = meaningOf(token);
    meanings.set(token, meaning);
  }
  return meaning;
}

function namedKind(element: Element): ChromeKind | null {
  const names = [
    ...(element.getAttribute('class') ?? '').split(/\s+/),
    element.getAttribute('id') ?? '',
    element.getAttribute('data-component') ?? '',
  ].filter(Boolean);
  let kind: ChromeKind | null = null;
  for (const name of names) {
    const meaning = cachedMeaningOf(name);
    // An element that also names itself as content is the content, whatever else it is called.
    if (meaning === 'content') return null;
    kind ??= meaning;
  }
  return kind;
}

function semanticKind(element: Element): ChromeKind | null {
  const tag = element.tagName.toUpperCase();
  const role = element.getAttribute('role');
  if (
    tag === 'DIALOG' ||
    role === 'dialog' ||
    role === 'alertdialog' ||
    element.getAttribute('aria-modal') === 'true'
  ) {
    return 'dialog';
  }
  if (tag === 'NAV' || role === 'navigation') return 'navigation';
  if (role === 'banner') return 'site-header';
  if (role === 'contentinfo') return 'site-footer';
  return null;
}

// A heading that says what the block is: "Related topics", "More on this story", "Share this".
const chromeHeadings: [RegExp, ChromeKind][] = [
  [
    /^(related( (topics|posts|articles|stories|coverage|content|reading|links))?|more (on this story|stories|from .{1,40}|in .{1,40}|like this)|read (next|more|this next)|you (might|may) also like|recommended( for you)?|top stories|most (read|popular))\s*:?$/i,
    'related-posts',
  ],
  [/^share( this( (article|post|story|page))?)?\s*:?$/i, 'share-bar'],
];

function headingKind(element: Element): ChromeKind | null {
  const heading = element.firstElementChild;
  if (!heading || !/^H[2-6]$/i.test(heading.tagName)) return null;
  const text = flatText(heading);
  return chromeHeadings.find(([pattern]) => pattern.test(text))?.[1] ?? null;
}

/**
 * The chrome an element declares itself to be, by its role or tag (a dialog, a navigation bar),
 * by a class, id or component name (`comments-area`, `jp-relatedposts`, `byline-block`), or by its
 * first heading ("Related topics", "Share this"). State classes (`has-comments`,
 * `l-col--with-sidebar`, `js-social-sticky`) declare nothing, and an element that also names
 * itself content (`c-entry-content`, `article-body`) is content. Null for anything else.
 */
export function chromeKindOf(element: Element): ChromeKind | null {
  return semanticKind(element) ?? namedKind(element) ?? headingKind(element);
}
