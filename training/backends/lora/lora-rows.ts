import type { GgufVocabulary } from '../../../core/models/gguf-vocabulary.ts';
import type { InstructionExample } from '../../../core/types/dataset.ts';

/**
 * One training example in the base model's own tokens: the chat (system prompt, instruction,
 * answer, end of turn) as its chat template renders it for serving and scoring.
 */
export type LoraRow = {
  tokens: Int32Array;
  /** Index of the answer's first token; the loss is taken on the answer only. */
  answerStart: number;
};

export type LoraRows = {
  rows: LoraRow[];
  /** Examples whose answer was cut to fit `maxSequenceTokens`. */
  truncated: number;
  /** Examples whose prompt alone filled `maxSequenceTokens`: no answer token left to learn. */
  dropped: number;
};

/** Positions whose logits predict answer tokens (each predicts the token after it), and those tokens. */
export function answerTargets(row: LoraRow): { positions: Int32Array; targets: Int32Array } {
  const count = row.tokens.length - row.answerStart;
  const positions = new Int32Array(count);
  const targets = new Int32Array(count);
  for (let index = 0; index < count; index++) {
    positions[index] = row.answerStart - 1 + index;
    targets[index] = row.tokens[row.answerStart + index] as number;
  }
  return { positions, targets };
}

/**
 * Renders each example as the twin is asked (`systemPrompt`, then the instruction) with the base's
 * tokenizer and chat template, and cuts it to `maxSequenceTokens`: a long answer keeps its start.
 */
export function loraRows(
  vocabulary: GgufVocabulary,
  examples: readonly InstructionExample[],
  systemPrompt: string,
  maxSequenceTokens: number,
): LoraRows {
  const rows: LoraRow[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const example of examples) {
    const { tokens, answerStart } = vocabulary.chatAnswerTokens(
      [
        { role: 'system', content: systemPrompt },
        { role: 'user', content: example.instruction },
      ],
      example.answer,
    );
    if (answerStart >= maxSequenceTokens) {
      dropped++;
      continue;
    }
    if (tokens.length > maxSequenceTokens) truncated++;
    rows.push({ tokens: Int32Array.from(tokens.slice(0, maxSequenceTokens)), answerStart });
  }
  return { rows, truncated, dropped };
}
