import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Category, Platform } from '../../core/types/category.ts';
import type { KnownAuthor, QueryUnderstanding, SelfQuery, SelfQueryContext } from './query-understanding.ts';
import { RetrievalFilters } from './retrieval-filters.ts';

/**
 * Self-query: filters asked for in the question itself. The configured LLM reads the question when
 * there is one; when there is none, or it fails, the rules below do.
 */
export async function selfQuery(
  question: string,
  options: {
    understanding?: QueryUnderstanding;
    authors?: readonly KnownAuthor[];
    now?: Date;
    logger: Logger;
  },
): Promise<SelfQuery> {
  const context = { authors: options.authors ?? [], now: options.now ?? new Date() };
  if (options.understanding) {
    try {
      return await options.understanding.selfQuery(question, context);
    } catch (error) {
      // Filters are a refinement: a failing LLM must not fail the search, only make it broader.
      options.logger.warn('self-query by LLM failed, using the rules', {
        understanding: options.understanding.id,
        error: errorMessage(error),
      });
    }
  }
  return ruleBasedSelfQuery(question, context);
}

// Building blocks of the phrases. Every pattern runs with the `iu` flags.
const wordStart = '(?<![\\p{L}\\p{N}])';
const wordEnd = '(?![\\p{L}\\p{N}])';
const preposition = '(?:on|in|from|across|within|among|via|at)';
const determiner = "(?:(?:my|her|his|their|your|our|the|its|\\p{L}+['’]s)\\s+)";
const platformWord = 'linked\\s?in|medium|substack|newsletter|boring\\s+ml|dev\\.to|devto|github|blog';
const platformNoun =
  '(?:posts?|articles?|shares?|updates?|stor(?:y|ies)|issues?|newsletters?|profile|feed|page|account|writing)';
const month =
  'january|february|march|april|may|june|july|august|september|october|november|december|' +
  'jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec';
// Groups, in order: ISO day, month name, year, this/last (every use of `period` adds these four).
const period = `(?:(\\d{4}-\\d{2}-\\d{2})|(?:(${month})\\.?\\s+)?((?:19|20)\\d{2})(?!-\\d)|(this|last)\\s+year)`;
const verb = '(?:(?:published|written|posted|shared)\\s+)?';

type Found = {
  authorId: Set<string>;
  platform: Set<Platform>;
  category: Set<Category>;
  after: Date | undefined;
  before: Date | undefined;
};

/** Rule-based self-query: phrases like "on LinkedIn", "in the code", "articles from 2025", "since March 2026". */
export function ruleBasedSelfQuery(question: string, context: Partial<SelfQueryContext> = {}): SelfQuery {
  const now = context.now ?? new Date();
  const found: Found = {
    authorId: new Set(),
    platform: new Set(),
    category: new Set(),
    after: undefined,
    before: undefined,
  };
  let text = ` ${question} `;
  const apply = (pattern: string, handle: (match: string[]) => boolean) => {
    // `handle` returns whether the phrase was a filter, and so is taken out of the question.
    text = text.replace(new RegExp(pattern, 'giu'), (...match: unknown[]) =>
      handle(match.slice(0, -2).map((group) => (typeof group === 'string' ? group : '')))
        ? ' '
        : String(match[0]),
    );
  };

  for (const author of context.authors ?? []) {
    const names = [author.name, author.name.split(/\s+/)[0] ?? '']
      .filter((name) => name.length >= 3)
      .map(escapeRegExp);
    const name = `(?:${names.join('|')})`;
    apply(`${wordStart}(?:written\\s+by|according\\s+to|by)\\s+${name}${wordEnd}`, () => {
      found.authorId.add(author.id);
      return true;
    });
    // "Noor's take on…" names the author without being a filter phrase: keep the words.
    apply(`${wordStart}${name}${wordEnd}`, () => {
      found.authorId.add(author.id);
      return false;
    });
  }

  const platformList = `(?:${platformWord})(?:\\s*(?:,|\\bor\\b|\\band\\b|&|/)\\s*${determiner}?(?:${platformWord}))*`;
  apply(
    `${wordStart}(?:(${preposition})\\s+)?${determiner}?(${platformList})(?:\\s+(${platformNoun}))?${wordEnd}`,
    ([, prepositionMatch, list, noun]) => {
      // A bare platform name is a topic ("what do you think of LinkedIn?"), not a filter.
      if (!prepositionMatch && !noun) return false;
      const platforms = [...(list ?? '').matchAll(new RegExp(platformWord, 'giu'))].map(([word]) => word);
      // "medium" is also an adjective ("on medium hardware"); only the capitalised name is the platform.
      if (platforms.includes('medium')) return false;
      for (const word of platforms) found.platform.add(platformOf(word));
      return true;
    },
  );

  apply(
    `${wordStart}${preposition}\\s+${determiner}(?:source\\s+)?(?:code\\s?base|code|repos?|repositor(?:y|ies))${wordEnd}`,
    () => {
      found.category.add('repository');
      return true;
    },
  );
  apply(
    `${wordStart}(?:${preposition}\\s+${determiner}?|${determiner})(?:long[- ]form\\s+)?(?:articles|essays)${wordEnd}`,
    () => {
      found.category.add('article');
      return true;
    },
  );
  // "articles from 2025": the date phrase after it makes the word a filter; the date rules read the date.
  apply(
    `${wordStart}(?:articles|essays)(?=\\s+${verb}(?:from|in|since|before|after|until|between|during)\\s+${period})`,
    () => {
      found.category.add('article');
      return true;
    },
  );
  apply(
    `${wordStart}(?:${preposition}\\s+${determiner}?|${determiner})(?:short\\s+posts|social(?:\\s+media)?\\s+posts|shares|updates)${wordEnd}`,
    () => {
      found.category.add('post');
      return true;
    },
  );

  const range = (match: string[], offset: number) =>
    periodRange(
      {
        isoDay: match[offset],
        month: match[offset + 1],
        year: match[offset + 2],
        relative: match[offset + 3],
      },
      now,
    );
  apply(`${wordStart}${verb}between\\s+${period}\\s+and\\s+${period}${wordEnd}`, (match) => {
    narrow(found, range(match, 1).start, range(match, 5).end);
    return true;
  });
  apply(
    `${wordStart}${verb}(since|after|from)\\s+${period}(?:\\s+(on(?:wards)?|and\\s+later))?${wordEnd}`,
    (match) => {
      const [, word, , , , , onwards] = match;
      const { start, end } = range(match, 2);
      if (word?.toLowerCase() === 'from' && !onwards) narrow(found, start, end);
      else narrow(found, word?.toLowerCase() === 'after' ? end : start, undefined);
      return true;
    },
  );
  apply(`${wordStart}${verb}(before|until|till|through|up\\s+to)\\s+${period}${wordEnd}`, (match) => {
    const { start, end } = range(match, 2);
    narrow(found, undefined, match[1]?.toLowerCase() === 'before' ? start : end);
    return true;
  });
  apply(`${wordStart}${verb}(?:in|during|on)\\s+(?:the\\s+year\\s+)?${period}${wordEnd}`, (match) => {
    const { start, end } = range(match, 1);
    narrow(found, start, end);
    return true;
  });
  apply(`${wordStart}(this|last)\\s+year${wordEnd}`, (match) => {
    const { start, end } = periodRange({ relative: match[1] }, now);
    narrow(found, start, end);
    return true;
  });

  const cleaned = tidy(text);
  const filters = RetrievalFilters.parse({
    ...(found.authorId.size > 0 ? { authorId: [...found.authorId] } : {}),
    ...(found.platform.size > 0 ? { platform: [...found.platform] } : {}),
    ...(found.category.size > 0 ? { category: [...found.category] } : {}),
    ...(found.after ? { publishedAfter: found.after.toISOString() } : {}),
    ...(found.before ? { publishedBefore: found.before.toISOString() } : {}),
  });
  return { text: /[\p{L}\p{N}]/u.test(cleaned) ? cleaned : question.trim(), filters, source: 'rules' };
}

function platformOf(word: string): Platform {
  const lower = word.toLowerCase().replace(/\s+/g, ' ');
  if (lower.startsWith('linked')) return 'linkedin';
  if (lower === 'medium') return 'medium';
  if (lower === 'substack' || lower === 'newsletter' || lower === 'boring ml') return 'substack';
  if (lower === 'dev.to' || lower === 'devto') return 'devto';
  if (lower === 'github') return 'github';
  return 'web';
}

const monthIndex = (name: string) =>
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].indexOf(
    name.toLowerCase().slice(0, 3),
  );

/** [start, end) of "2025", "March 2026", "2026-03-14", "this year" or "last year", in UTC. */
function periodRange(
  period: {
    isoDay?: string | undefined;
    month?: string | undefined;
    year?: string | undefined;
    relative?: string | undefined;
  },
  now: Date,
): { start: Date; end: Date } {
  const { isoDay, month: monthName, year, relative: relativeYear } = period;
  if (isoDay) {
    const start = new Date(`${isoDay}T00:00:00.000Z`);
    return { start, end: new Date(start.getTime() + 86_400_000) };
  }
  if (relativeYear) {
    const value = now.getUTCFullYear() - (relativeYear.toLowerCase() === 'last' ? 1 : 0);
    return { start: new Date(Date.UTC(value, 0, 1)), end: new Date(Date.UTC(value + 1, 0, 1)) };
  }
  const value = Number(year);
  if (monthName) {
    const index = monthIndex(monthName);
    return { start: new Date(Date.UTC(value, index, 1)), end: new Date(Date.UTC(value, index + 1, 1)) };
  }
  return { start: new Date(Date.UTC(value, 0, 1)), end: new Date(Date.UTC(value + 1, 0, 1)) };
}

/** Several date phrases all have to hold: keep the latest start and the earliest end. */
function narrow(found: Found, after: Date | undefined, before: Date | undefined): void {
  if (after && (!found.after || after > found.after)) found.after = after;
  if (before && (!found.before || before < found.before)) found.before = before;
}

/** The question after phrases were cut out: single spaces, no space before punctuation, no dangling comma. */
function tidy(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;:!?])/g, '$1')
    .replace(/([,;:])(?=[,.;:!?])/g, '')
    .replace(/^[\s,;:]+/, '')
    .replace(/[\s,;:]+$/, '')
    .trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
