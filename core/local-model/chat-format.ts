import { ValidationError } from '../errors.ts';
import { type BpeTokenizer, specialTokens } from './bpe-tokenizer.ts';

/** Token ids with, per id, whether predicting it counts in the loss (1) or not (0). */
export type FormattedSequence = { ids: number[]; lossMask: number[] };

/**
 * The one prompt template of the local twin, shared by training and serving so they cannot drift:
 *
 *   <|bos|><|user|>{instruction}<|assistant|>{answer}<|eos|>
 *
 * Only the answer and its <|eos|> are learned; the instruction (which at serving time may carry
 * retrieved context) is input only. Instructions are cut to their last `maxInstructionTokens`
 * tokens, the same way in both places, so that the answer always has room in the context window
 * (the question usually comes last, after any context).
 */
export class ChatFormat {
  readonly tokenizer: BpeTokenizer;
  readonly contextLength: number;
  readonly maxInstructionTokens: number;

  constructor(tokenizer: BpeTokenizer, options: { contextLength: number }) {
    if (options.contextLength < 8) throw new ValidationError('contextLength must be at least 8');
    this.tokenizer = tokenizer;
    this.contextLength = options.contextLength;
    // Half the window for the instruction and its three markers, half for the answer.
    this.maxInstructionTokens = Math.floor(options.contextLength / 2) - 3;
  }

  /** The full training sequence; longer than the context when the answer is (see `toWindows`). */
  formatExample(instruction: string, answer: string): FormattedSequence {
    const prompt = this.formatPrompt(instruction);
    const answerIds = [...this.tokenizer.encode(answer), specialTokens.eos];
    return {
      ids: [...prompt, ...answerIds],
      lossMask: [...prompt.map(() => 0), ...answerIds.map(() => 1)],
    };
  }

  /** The prompt a generation continues from: everything up to and including <|assistant|>. */
  formatPrompt(instruction: string): number[] {
    const instructionIds = this.tokenizer.encode(instruction);
    const kept = instructionIds.slice(Math.max(0, instructionIds.length - this.maxInstructionTokens));
    return [specialTokens.bos, specialTokens.user, ...kept, specialTokens.assistant];
  }

  /**
   * Cuts a sequence into windows of at most contextLength + 1 tokens (inputs are all but the last,
   * targets all but the first), overlapping by one token so that every target is predicted
   * exactly once. Windows with nothing to learn are dropped.
   */
  toWindows(sequence: FormattedSequence): FormattedSequence[] {
    const windows: FormattedSequence[] = [];
    for (let start = 0; start + 1 < sequence.ids.length; start += this.contextLength) {
      const end = Math.min(sequence.ids.length, start + this.contextLength + 1);
      const lossMask = sequence.lossMask.slice(start, end);
      // The first token of a window is input only.
      lossMask[0] = 0;
      if (lossMask.some((flag) => flag === 1))
        windows.push({ ids: sequence.ids.slice(start, end), lossMask });
    }
    return windows;
  }
}
