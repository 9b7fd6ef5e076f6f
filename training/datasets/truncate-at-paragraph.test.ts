import { describe, expect, it } from 'vitest';
import { splitIntoPassages } from './split-into-passages.ts';
import { truncateAtParagraph } from './truncate-at-paragraph.ts';

const paragraphs = [
  'Every team I have joined has had the same argument in its first month.',
  'We did not fix it by being more careful. We fixed it by making it impossible to compute the feature in two places.',
  '```python\ndef test_no_skew():\n\n    assert offline == online\n```',
  'Boring, checkable, versioned. That is the whole trick.',
];
const text = paragraphs.join('\n\n');

describe('truncateAtParagraph', () => {
  it('leaves short text alone and cuts long text at the last paragraph break that fits', () => {
    expect(truncateAtParagraph(text, 10_000)).toBe(text);
    const limit = paragraphs[0]!.length + paragraphs[1]!.length + 10;
    expect(truncateAtParagraph(text, limit)).toBe(`${paragraphs[0]}\n\n${paragraphs[1]}`);
  });

  it('never uses the blank line inside a code fence, unless told the text is code', () => {
    const insideFence = text.indexOf('\n\n    assert') + 5;
    expect(truncateAtParagraph(text, insideFence)).toBe(`${paragraphs[0]}\n\n${paragraphs[1]}`);
    expect(truncateAtParagraph(text, insideFence, { markdown: false })).toBe(
      `${paragraphs[0]}\n\n${paragraphs[1]}\n\n\`\`\`python\ndef test_no_skew():`,
    );
  });

  it('falls back to the last sentence end, then a word break, for one long paragraph', () => {
    expect(truncateAtParagraph(paragraphs[1]!, 60)).toBe('We did not fix it by being more careful.');
    expect(truncateAtParagraph('averyveryverylongword '.repeat(5), 50)).toBe(
      'averyveryverylongword averyveryverylongword',
    );
    expect(truncateAtParagraph('```\nline one is code\nline two is code\n```', 30)).toBe(
      '```\nline one is code\n```',
    );
  });
});

describe('splitIntoPassages', () => {
  it('packs whole paragraphs into passages under the limit and loses no text', () => {
    const passages = splitIntoPassages(text, 200);
    expect(passages.length).toBeGreaterThan(1);
    for (const passage of passages) expect(passage.length).toBeLessThanOrEqual(200);
    expect(passages.join('\n\n').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
    // The code block, blank line and all, stays in one passage.
    for (const passage of passages) expect((passage.match(/```/g) ?? []).length % 2).toBe(0);
    expect(passages.some((passage) => passage.includes('def test_no_skew():\n\n    assert'))).toBe(true);
    expect(splitIntoPassages(text, 10_000)).toEqual([text]);
  });

  it('cuts a block longer than the limit at sentence breaks', () => {
    const long = Array.from({ length: 30 }, (_, index) => `Sentence number ${index} says one thing.`).join(
      ' ',
    );
    const passages = splitIntoPassages(long, 250);
    for (const passage of passages) expect(passage.length).toBeLessThanOrEqual(250);
    expect(passages.join(' ')).toBe(long);
  });
});
