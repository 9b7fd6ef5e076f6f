import type { RetrievalFilters } from './retrieval-filters.ts';

/** An author the twin knows, for recognising "by Noor" or "Noor's posts" in a question. */
export type KnownAuthor = { id: string; name: string };

/** A question split into what to search for and what to filter on. */
export type SelfQuery = {
  /** The question without the words that asked for filters (the original if nothing else is left). */
  text: string;
  filters: RetrievalFilters;
  /** Who read the question: the rules, or the configured LLM. */
  source: 'rules' | 'llm';
};

export type SelfQueryContext = { authors: readonly KnownAuthor[]; now: Date };

/**
 * Reads a question with a language model: finds its filters (self-query) and rewrites it for
 * search (query expansion). Optional: without one, filters come from rules and there is no expansion.
 */
export interface QueryUnderstanding {
  /** Names the model behind it, for logs and monitoring. */
  readonly id: string;
  selfQuery(question: string, context: SelfQueryContext): Promise<SelfQuery>;
  /** Up to `count` differently worded versions of the question, not including the question itself. */
  expand(question: string, count: number): Promise<string[]>;
}
