import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { QueryUnderstanding } from './query-understanding.ts';

/**
 * The queries to search with: the question first, then up to `count` rewrites by the LLM. Without
 * an LLM, or when it fails, just the question: expansion widens recall, it is never required.
 */
export async function expandQuery(
  question: string,
  options: { understanding?: QueryUnderstanding; count: number; logger: Logger },
): Promise<string[]> {
  if (!options.understanding || options.count < 1) return [question];
  try {
    const rewrites = await options.understanding.expand(question, options.count);
    return [question, ...rewrites.slice(0, options.count)];
  } catch (error) {
    options.logger.warn('query expansion failed, searching with the question only', {
      understanding: options.understanding.id,
      error: errorMessage(error),
    });
    return [question];
  }
}
