import { z } from 'zod';
import { Category, Platform } from '../../core/types/category.ts';
import type { ChatJsonClient } from './chat-json-client.ts';
import type { QueryUnderstanding, SelfQuery, SelfQueryContext } from './query-understanding.ts';
import { RetrievalFilters } from './retrieval-filters.ts';

const lowerCase = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
/** A YYYY-MM-DD day (a longer ISO string is cut to its day); anything else is no date at all. */
const isoDay = z
  .string()
  .nullish()
  .transform((value) => {
    const day = /^\d{4}-\d{2}-\d{2}/.exec(value ?? '')?.[0];
    const date = day ? new Date(`${day}T00:00:00.000Z`) : undefined;
    return date && !Number.isNaN(date.getTime()) ? date : null;
  });

/** What the model is asked to return for self-query; unknown values are dropped, not trusted. */
const SelfQueryReply = z.object({
  query: z.string(),
  author: z.string().nullish(),
  platforms: z.array(z.preprocess(lowerCase, z.string())).nullish(),
  categories: z.array(z.preprocess(lowerCase, z.string())).nullish(),
  publishedAfter: isoDay,
  publishedBefore: isoDay,
});

const ExpansionReply = z.object({ queries: z.array(z.string()) });

const platforms = Platform.options.join(', ');
const categories = Category.options.join(', ');

/**
 * Self-query and query expansion by an LLM behind an OpenAI-compatible chat endpoint. The model's
 * answer is validated: platforms and categories outside the known lists and authors the twin does
 * not know are dropped, so a creative answer can only narrow a search to things that exist.
 */
export class LlmQueryUnderstanding implements QueryUnderstanding {
  readonly id: string;

  constructor(private readonly client: ChatJsonClient) {
    this.id = `llm:${client.model}`;
  }

  async selfQuery(question: string, context: SelfQueryContext): Promise<SelfQuery> {
    const authors = context.authors.map((author) => `${author.id} (${author.name})`).join(', ') || 'none';
    const reply = await this.client.complete(
      [
        {
          role: 'system',
          content:
            "You turn a question about an author's published writing into a search query and filters. " +
            'Answer with one JSON object: {"query": the question without the words that only ask for a filter, ' +
            '"author": author id or null, "platforms": [..], "categories": [..], ' +
            '"publishedAfter": "YYYY-MM-DD" (inclusive) or null, "publishedBefore": "YYYY-MM-DD" (exclusive) or null}. ' +
            `Platforms: ${platforms} (web is the author's own blog). Categories: ${categories} ` +
            '(post = short social post, repository = code). Authors: ' +
            `${authors}. Today is ${context.now.toISOString().slice(0, 10)}. ` +
            'Only set a filter the question clearly asks for; a topic is not a filter.',
        },
        { role: 'user', content: question },
      ],
      SelfQueryReply,
    );
    const knownAuthor = context.authors.find(
      (author) =>
        reply.author &&
        (author.id === reply.author || author.name.toLowerCase() === reply.author.trim().toLowerCase()),
    );
    const platformList = (reply.platforms ?? []).flatMap((value) => {
      const parsed = Platform.safeParse(value);
      return parsed.success ? [parsed.data] : [];
    });
    const categoryList = (reply.categories ?? []).flatMap((value) => {
      const parsed = Category.safeParse(value);
      return parsed.success ? [parsed.data] : [];
    });
    const filters = RetrievalFilters.parse({
      ...(knownAuthor ? { authorId: [knownAuthor.id] } : {}),
      ...(platformList.length > 0 ? { platform: [...new Set(platformList)] } : {}),
      ...(categoryList.length > 0 ? { category: [...new Set(categoryList)] } : {}),
      ...(reply.publishedAfter ? { publishedAfter: reply.publishedAfter.toISOString() } : {}),
      ...(reply.publishedBefore ? { publishedBefore: reply.publishedBefore.toISOString() } : {}),
    });
    const text = reply.query.trim();
    return { text: /[\p{L}\p{N}]/u.test(text) ? text : question.trim(), filters, source: 'llm' };
  }

  async expand(question: string, count: number): Promise<string[]> {
    if (count < 1) return [];
    const reply = await this.client.complete(
      [
        {
          role: 'system',
          content:
            `Write ${count} different search queries for finding the passages of an author's writing that answer ` +
            'the question. Vary the wording and use words the author might have used; keep names and numbers. ' +
            'Answer with one JSON object: {"queries": ["...", ...]}.',
        },
        { role: 'user', content: question },
      ],
      ExpansionReply,
    );
    const seen = new Set([normalise(question)]);
    const rewrites: string[] = [];
    for (const query of reply.queries.map((entry) => entry.trim())) {
      if (!/[\p{L}\p{N}]/u.test(query) || seen.has(normalise(query))) continue;
      seen.add(normalise(query));
      rewrites.push(query);
    }
    return rewrites.slice(0, count);
  }
}

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
