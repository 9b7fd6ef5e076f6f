import type { GenerationSummary } from '../ports/generator.ts';

/** A generator's whole answer: the streamed pieces joined, and the summary the stream returned. */
export type CollectedStream = { text: string; finish: GenerationSummary };

/** Reads a generation stream to its end, for callers that answer in one piece (not streaming). */
export async function collectStream(
  stream: AsyncGenerator<string, GenerationSummary>,
): Promise<CollectedStream> {
  let text = '';
  let step = await stream.next();
  while (!step.done) {
    text += step.value;
    step = await stream.next();
  }
  return { text, finish: step.value };
}
