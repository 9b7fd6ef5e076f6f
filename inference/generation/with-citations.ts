import type { GenerationSummary } from '../../core/ports/generator.ts';
import { CitationAttributor } from './citation-attributor.ts';
import type { GroundedGenerationRequest, TwinGenerator } from './twin-generator.ts';

/**
 * `model`, with its answers' citations made true as they stream (see CitationAttributor): markers
 * that name no passage of the request's grounding are dropped, and sentences a passage supports
 * get its marker. The passages also go to the model as the request's `sources` (see
 * GenerationRequest). A request without grounding passes through unchanged.
 */
export function withCitations(model: TwinGenerator): TwinGenerator {
  return {
    id: model.id,
    promptBudget: model.promptBudget,
    async *stream(request: GroundedGenerationRequest): AsyncGenerator<string, GenerationSummary> {
      if (!request.grounding) return yield* model.stream(request);
      // The passages go along too, so a model that can lean toward their wording does.
      const answer = model.stream({
        ...request,
        sources: request.grounding.sources.map((source) => source.text),
      });
      const attributor = new CitationAttributor(request.grounding.sources);
      let finished = false;
      try {
        for (;;) {
          const step = await answer.next();
          if (step.done) {
            finished = true;
            const rest = attributor.end();
            if (rest) yield rest;
            return step.value;
          }
          const shown = attributor.push(step.value);
          if (shown) yield shown;
        }
      } finally {
        // A reader that stops (a client gone) stops the model too.
        if (!finished) await answer.return({ finishReason: 'abort', promptTokens: 0, completionTokens: 0 });
      }
    },
    close: () => model.close(),
  };
}
