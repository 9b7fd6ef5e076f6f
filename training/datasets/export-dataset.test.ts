import { describe, expect, it } from 'vitest';
import { defaultSystemPrompt, exportDataset } from './export-dataset.ts';
import type { DatasetExamples } from './load-dataset-examples.ts';

const instruction: DatasetExamples = {
  kind: 'instruction',
  train: [
    {
      instruction: 'Write a LinkedIn post about vector search and RAG.',
      answer:
        'Small experiment, big grin 😁\n\nWe swapped our HNSW index for plain exact search.\n\n#VectorSearch #RAG',
      kind: 'hashtags-to-post',
      sourceDocumentId: 'doc-1',
    },
    {
      instruction: 'What do you think about a feature store?',
      answer:
        'A feature store is a promise that training and serving see the same world. "Boring" is a feature.',
      kind: 'subject-to-opinion',
      sourceDocumentId: 'doc-2',
    },
  ],
  test: [
    {
      instruction: 'Summarise your tiny-feature-store repository.',
      answer: 'A feature store small enough to read in an evening.',
      kind: 'readme-to-summary',
      sourceDocumentId: 'doc-3',
    },
  ],
};

const preference: DatasetExamples = {
  kind: 'preference',
  train: [
    {
      instruction: 'How fast can you roll back a model?',
      chosen: 'Today it took 11 seconds. It’s a registry with immutable versions and an alias we can move.',
      rejected: 'Rolling back a model usually involves redeploying a previous version.',
      kind: 'llm:qa',
      sourceDocumentId: 'doc-4',
    },
  ],
  test: [],
};

const parseLines = (text: string) => {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('exportDataset', () => {
  it('writes OpenAI chat fine-tuning JSONL: one conversation per line, with a system prompt naming the author', () => {
    const rows = parseLines(exportDataset(instruction, { format: 'openai', authorName: 'Noor Halvorsen' }));
    expect(rows).toHaveLength(2);
    const system = defaultSystemPrompt.replaceAll('{author}', 'Noor Halvorsen');
    expect(system).toContain('You are the AI twin of Noor Halvorsen.');
    expect(rows[0]).toEqual({
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'Write a LinkedIn post about vector search and RAG.' },
        { role: 'assistant', content: instruction.train[0]?.answer },
      ],
    });
    // Newlines and quotes inside answers never break the one-line-per-example format.
    expect(rows[1]?.messages).toMatchObject([{}, {}, { content: expect.stringContaining('"Boring"') }]);
  });

  it('takes the test split or both, and a custom system prompt', () => {
    const test = parseLines(
      exportDataset(instruction, {
        format: 'openai',
        split: 'test',
        systemPrompt: 'You are {author}, briefly.',
        authorName: 'Noor',
      }),
    );
    expect(test).toHaveLength(1);
    expect(test[0]?.messages).toMatchObject([{ role: 'system', content: 'You are Noor, briefly.' }, {}, {}]);
    expect(parseLines(exportDataset(instruction, { format: 'openai', split: 'all' }))).toHaveLength(3);
    expect(exportDataset(instruction, { format: 'openai' })).toContain('the AI twin of the author');
  });

  it('writes Alpaca JSON', () => {
    const rows = JSON.parse(exportDataset(instruction, { format: 'alpaca', split: 'all' }));
    expect(rows).toEqual([
      { instruction: instruction.train[0]?.instruction, input: '', output: instruction.train[0]?.answer },
      { instruction: instruction.train[1]?.instruction, input: '', output: instruction.train[1]?.answer },
      { instruction: instruction.test[0]?.instruction, input: '', output: instruction.test[0]?.answer },
    ]);
  });

  it('writes preference datasets as OpenAI DPO JSONL and Alpaca-style chosen/rejected JSON', () => {
    const [row] = parseLines(exportDataset(preference, { format: 'openai', authorName: 'Noor Halvorsen' }));
    expect(row).toEqual({
      input: {
        messages: [
          { role: 'system', content: expect.stringContaining('Noor Halvorsen') },
          { role: 'user', content: 'How fast can you roll back a model?' },
        ],
      },
      preferred_output: [{ role: 'assistant', content: preference.train[0]?.chosen }],
      non_preferred_output: [{ role: 'assistant', content: preference.train[0]?.rejected }],
    });
    expect(JSON.parse(exportDataset(preference, { format: 'alpaca' }))).toEqual([
      {
        instruction: 'How fast can you roll back a model?',
        input: '',
        chosen: preference.train[0]?.chosen,
        rejected: preference.train[0]?.rejected,
      },
    ]);
    expect(exportDataset({ ...preference, train: [] }, { format: 'openai' })).toBe('');
  });
});
