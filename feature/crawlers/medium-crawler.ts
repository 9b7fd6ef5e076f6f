import type { ArticlePageOptions } from './article-crawler.ts';
import { FeedCrawler } from './feed-crawler.ts';
import { PlatformCrawler } from './platform-crawler.ts';

const mediumArticle: ArticlePageOptions = {
  platform: 'medium',
  extraction: {
    contentSelector: 'article',
    titleSelector: 'h1[data-testid="storyTitle"], h1.pw-post-title',
    subtitleSelector: '.pw-subtitle-paragraph',
    // Medium wraps the author bar, clap and share buttons in .speechify-ignore.
    removeSelectors: ['.speechify-ignore', '[data-testid="storyTitle"]', '.pw-subtitle-paragraph', 'button'],
  },
};

/** Medium appends this line to feed items of publication posts; it is not the author's text. */
function stripMediumFooter(text: string): string {
  return text.replace(/\n\n[^\n]*was originally published in[^\n]*on Medium[^\n]*$/, '').trim();
}

/** Medium tags feed links with `?source=rss-…`; the post's URL is the link without it. */
function withoutTracking(link: string): string {
  const url = new URL(link);
  url.searchParams.delete('source');
  return url.href;
}

/**
 * The feed for a Medium profile or publication URL, or null for an article URL. Feeds are the
 * reliable path (pages are script-rendered; feeds carry the full post in content:encoded):
 * medium.com/@user → medium.com/feed/@user, user.medium.com → user.medium.com/feed.
 */
export function mediumFeedUrl(url: URL): string | null {
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments[0] === 'feed') return url.href;
  if (segments.length === 0) return `${url.origin}/feed`;
  // Article slugs end in a hex post id: /@user/title-1a2b3c4d5e6f, or /title-1a2b3c4d5e6f on subdomains.
  if (segments.length === 1 && !/-[0-9a-f]{8,12}$/.test(segments[0] ?? '')) {
    return `${url.origin}/feed/${segments[0]}`;
  }
  return null;
}

/** Whether a page is served by Medium (custom domains included), from markers in its HTML. */
export function isMediumPage(html: string): boolean {
  const head = html.slice(0, 200_000);
  return (
    /<meta\b(?=[^>]*\bproperty=["']og:site_name["'])(?=[^>]*\bcontent=["']Medium["'])[^>]*>/i.test(head) ||
    /<meta\b(?=[^>]*\bproperty=["']al:android:package["'])(?=[^>]*\bcontent=["']com\.medium\.reader["'])[^>]*>/i.test(
      head,
    ) ||
    /https:\/\/cdn-client\.medium\.com\//.test(head)
  );
}

/** medium.com profiles and publications (through their feeds) and Medium article pages. */
export class MediumCrawler extends PlatformCrawler {
  constructor() {
    super({
      name: 'medium',
      feeds: new FeedCrawler({
        name: 'medium',
        platform: 'medium',
        preferFeedContent: true,
        extraction: mediumArticle.extraction,
        cleanFeedText: stripMediumFooter,
        normalizeLink: withoutTracking,
      }),
      page: mediumArticle,
      feedUrlOf: mediumFeedUrl,
    });
  }
}
