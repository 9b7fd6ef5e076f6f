import { describe, expect, it } from 'vitest';
import { BpeTokenizer, specialTokens } from './bpe-tokenizer.ts';
import { ChatFormat } from './chat-format.ts';

const tokenizer = BpeTokenizer.train(['What do you think about feature stores? They are contracts.'], {
  vocabSize: 300,
});

describe('ChatFormat', () => {
  const format = new ChatFormat(tokenizer, { contextLength: 64 });

  it('masks the loss to the answer and its eos only', () => {
    const example = format.formatExample('What do you think?', 'Contracts.');
    const prompt = format.formatPrompt('What do you think?');
    expect(example.ids.slice(0, prompt.length)).toEqual(prompt);
    expect(prompt[0]).toBe(specialTokens.bos);
    expect(prompt[1]).toBe(specialTokens.user);
    expect(prompt[prompt.length - 1]).toBe(specialTokens.assistant);
    expect(example.ids[example.ids.length - 1]).toBe(specialTokens.eos);
    expect(example.lossMask.slice(0, prompt.length).every((flag) => flag === 0)).toBe(true);
    expect(example.lossMask.slice(prompt.length).every((flag) => flag === 1)).toBe(true);
    const learned = example.ids.filter((_, index) => example.lossMask[index] === 1);
    expect(tokenizer.decode(learned)).toBe('Contracts.');
    expect(learned[learned.length - 1]).toBe(specialTokens.eos);
  });

  it('keeps the end of a long instruction (where the question is) and leaves room for the answer', () => {
    const context = 'background '.repeat(200);
    const prompt = format.formatPrompt(`${context}Question: why?`);
    expect(prompt.length).toBe(format.maxInstructionTokens + 3);
    expect(prompt.length).toBeLessThanOrEqual(32);
    expect(tokenizer.decode(prompt)).toMatch(/Question: why\?$/);
  });

  it('cuts long sequences into windows where every answer token is learned exactly once', () => {
    const answer = 'They are contracts, not databases. '.repeat(30);
    const example = format.formatExample('What do you think about feature stores?', answer);
    const windows = format.toWindows(example);
    expect(windows.length).toBeGreaterThan(2);
    for (const window of windows) expect(window.ids.length).toBeLessThanOrEqual(65);
    const learned = windows.flatMap((window) =>
      window.ids.filter((_, index) => window.lossMask[index] === 1),
    );
    const expected = example.ids.filter((_, index) => example.lossMask[index] === 1);
    expect(learned).toEqual(expected);
    // Consecutive windows overlap by one token: the last target of one is the first input of the next.
    expect(windows[1]?.ids[0]).toBe(windows[0]?.ids[64]);
  });

  it('drops windows with nothing to learn', () => {
    expect(format.toWindows({ ids: [1, 2, 3], lossMask: [0, 0, 0] })).toEqual([]);
  });
});
