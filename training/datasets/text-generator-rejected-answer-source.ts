import { fillTemplate } from './fill-template.ts';
import type { RejectedAnswerSource } from './rejected-answer-source.ts';

/** Any text generator: a local base model, a llama.cpp binding, a function in a test. */
export type TextGenerator = (prompt: string, signal?: AbortSignal) => Promise<string>;

/**
 * Generic answers from any async text generator. The natural choice is the untuned base model:
 * its answers are what the twin sounds like before it learns the author's voice.
 */
export class TextGeneratorRejectedAnswerSource implements RejectedAnswerSource {
  readonly prompt: string;

  constructor(
    readonly name: string,
    private readonly generate: TextGenerator,
    /** How the instruction is put to the generator; `{instruction}` marks where it goes. */
    options: { prompt?: string } = {},
  ) {
    this.prompt = options.prompt ?? '{instruction}';
  }

  async generic(instruction: string, signal?: AbortSignal): Promise<string> {
    return (await this.generate(fillTemplate(this.prompt, { instruction }), signal)).trim();
  }
}
