import { fillTemplate } from './fill-template.ts';
import type { DatasetExamples } from './load-dataset-examples.ts';

export type ExportFormat = 'openai' | 'alpaca';
export type ExportSplit = 'train' | 'test' | 'all';

export type ExportOptions = {
  format: ExportFormat;
  /** Which examples; fine-tuning services take the train and test (validation) files separately. */
  split?: ExportSplit;
  /** Named in the default system prompt. */
  authorName?: string | null;
  /** Replaces the default system prompt; `{author}` is the author's name. */
  systemPrompt?: string;
};

/** The system prompt a twin is fine-tuned (and should be served) with. */
export const defaultSystemPrompt =
  'You are the AI twin of {author}. Answer as {author} would, in the first person and in their own voice, grounded in what they have published.';

/**
 * A dataset as a fine-tuning file. Instruction datasets become OpenAI chat fine-tuning JSONL
 * (`{"messages":[system, user, assistant]}` per line) or Alpaca JSON (`[{instruction, input,
 * output}]`); preference datasets become OpenAI preference (DPO) JSONL (`{"input":{"messages"},
 * "preferred_output", "non_preferred_output"}`) or Alpaca-style preference JSON (`[{instruction,
 * input, chosen, rejected}]`, as LLaMA-Factory and TRL read it). Returns the text; the caller
 * decides where it goes.
 */
export function exportDataset(examples: DatasetExamples, options: ExportOptions): string {
  const split = options.split ?? 'train';
  const system = fillTemplate(options.systemPrompt ?? defaultSystemPrompt, {
    author: options.authorName ?? 'the author',
  });
  const lines = (rows: unknown[]) => rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  const json = (rows: unknown[]) => `${JSON.stringify(rows, null, 2)}\n`;

  if (examples.kind === 'instruction') {
    const selected = pick(examples.train, examples.test, split);
    return options.format === 'openai'
      ? lines(
          selected.map((example) => ({
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: example.instruction },
              { role: 'assistant', content: example.answer },
            ],
          })),
        )
      : json(
          selected.map((example) => ({
            instruction: example.instruction,
            input: '',
            output: example.answer,
          })),
        );
  }
  const selected = pick(examples.train, examples.test, split);
  return options.format === 'openai'
    ? lines(
        selected.map((example) => ({
          input: {
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: example.instruction },
            ],
          },
          preferred_output: [{ role: 'assistant', content: example.chosen }],
          non_preferred_output: [{ role: 'assistant', content: example.rejected }],
        })),
      )
    : json(
        selected.map((example) => ({
          instruction: example.instruction,
          input: '',
          chosen: example.chosen,
          rejected: example.rejected,
        })),
      );
}

function pick<T>(train: T[], test: T[], split: ExportSplit): T[] {
  return split === 'train' ? train : split === 'test' ? test : [...train, ...test];
}
