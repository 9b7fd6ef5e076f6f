import { errorMessage, ServiceError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { GenerationSummary } from '../../core/ports/generator.ts';
import { ExtractiveGenerator } from './extractive-generator.ts';
import type { GroundedGenerationRequest, TwinGenerator } from './twin-generator.ts';

/**
 * `primary`, except that when it cannot be reached before saying anything (connection refused,
 * timeout, 429 or 5xx: a retryable ServiceError) the answer is extractive, with a notice naming
 * the model. Errors that retrying would not fix (a wrong key, an unknown model) still surface, as
 * do failures after the first piece: half an answer cannot be swapped for another.
 */
export function withExtractiveFallback(
  primary: TwinGenerator,
  options: { logger?: Logger } = {},
): TwinGenerator {
  const fallback = new ExtractiveGenerator({
    notice: `Note: the model ${primary.id} cannot be reached right now, so this answer quotes the most relevant sentences of the retrieved sources, with their citations.`,
  });
  return {
    id: primary.id,
    promptBudget: primary.promptBudget,
    async *stream(request: GroundedGenerationRequest): AsyncGenerator<string, GenerationSummary> {
      const answer = primary.stream(request);
      let first: IteratorResult<string, GenerationSummary>;
      try {
        first = await answer.next();
      } catch (error) {
        if (!(error instanceof ServiceError && error.retryable)) throw error;
        options.logger?.warn('generator unreachable, answering extractively', {
          generator: primary.id,
          error: errorMessage(error),
        });
        return yield* fallback.stream(request);
      }
      if (first.done) return first.value;
      yield first.value;
      return yield* answer;
    },
    close: () => primary.close(),
  };
}
