import { describe, expect, it } from 'vitest';
import { countTokens } from './count-tokens.ts';
import { splitText } from './split-text.ts';

const prose = ['\n\n', '\n', '. ', ' '];

describe('countTokens', () => {
  it('counts words, long words by pieces, and punctuation', () => {
    expect(countTokens('The feature store, again.')).toBe(6);
    expect(countTokens('internationalisation')).toBe(4);
    expect(countTokens('pipelines')).toBe(2);
    expect(countTokens('   ')).toBe(0);
  });
});

describe('splitText', () => {
  const paragraphs = Array.from(
    { length: 12 },
    (_, index) => `Paragraph ${index} talks about pipelines. It has two sentences about features.`,
  ).join('\n\n');

  it('keeps every chunk within the token budget', () => {
    const chunks = splitText(paragraphs, { chunkSize: 40, chunkOverlap: 8, separators: prose });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(countTokens(chunk)).toBeLessThanOrEqual(40);
  });

  it('without overlap the chunks add up to the input exactly', () => {
    const chunks = splitText(paragraphs, { chunkSize: 40, chunkOverlap: 0, separators: prose });
    expect(chunks.join('')).toBe(paragraphs);
  });

  it('overlaps consecutive chunks', () => {
    const chunks = splitText(paragraphs, { chunkSize: 40, chunkOverlap: 16, separators: prose });
    for (let index = 1; index < chunks.length; index++) {
      const previous = chunks[index - 1] as string;
      const current = chunks[index] as string;
      const shared = [...Array(current.length).keys()].some(
        (length) => length > 10 && previous.endsWith(current.slice(0, length)),
      );
      expect(shared).toBe(true);
    }
  });

  it('cuts text without separators and single enormous words', () => {
    const words = Array.from({ length: 300 }, (_, index) => `w${index}`).join(' ');
    expect(splitText(words, { chunkSize: 50, chunkOverlap: 0, separators: ['\n'] }).join('')).toBe(words);
    const blob = 'x'.repeat(5000);
    const chunks = splitText(blob, { chunkSize: 50, chunkOverlap: 0, separators: ['\n'] });
    expect(chunks.join('')).toBe(blob);
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('refuses an overlap as large as the chunk', () => {
    expect(() => splitText('a b c', { chunkSize: 10, chunkOverlap: 10, separators: prose })).toThrow(
      /chunkOverlap/,
    );
  });

  it('returns nothing for empty text', () => {
    expect(splitText('', { chunkSize: 10, chunkOverlap: 0, separators: prose })).toEqual([]);
  });
});
