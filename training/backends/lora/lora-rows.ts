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

/** Several rows as one sequence for `LlamaModel.logits` with `segments`, and their answer targets. */
export type PackedRows = {
  /** The rows, in the order their tokens follow each other. */
  rows: LoraRow[];
  tokens: Int32Array;
  segments: number[];
  positions: Int32Array;
  targets: Int32Array;
};

/**
 * Packs rows in order into sequences of at most `maxTokens` tokens (a longer row stays alone):
 * each example attends only to itself, so a packed sequence gives every example exactly its own
 * logits, in fewer and larger products than one call per example.
 */
export function packRows(rows: readonly LoraRow[], maxTokens: number): PackedRows[] {
  const packs: LoraRow[][] = [];
  let current: LoraRow[] = [];
  let length = 0;
  for (const row of rows) {
    if (current.length > 0 && length + row.tokens.length > maxTokens) {
      packs.push(current);
      current = [];
      length = 0;
    }
    current.push(row);
    length += row.tokens.length;
  }
  if (current.length > 0) packs.push(current);
  return packs.map((pack) => {
    const tokens = new Int32Array(pack.reduce((sum, row) => sum + row.tokens.length, 0));
    const positions: number[] = [];
    const targets: number[] = [];
    let offset = 0;
    for (const row of pack) {
      tokens.set(row.tokens, offset);
      const answer = answerTargets(row);
      for (const position of answer.positions) positions.push(offset + position);
      targets.push(...answer.targets);
      offset += row.tokens.length;
    }
    return {
      rows: pack,
      tokens,
      segments: pack.map((row) => row.tokens.length),
      positions: Int32Array.from(positions),
      targets: Int32Array.from(targets),
    };
  });
}
