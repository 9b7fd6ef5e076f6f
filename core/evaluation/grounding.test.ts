import { describe, expect, it } from 'vitest';
import { answerSentences, citedNumbers, scoreGrounding, support } from './grounding.ts';

const passages = [
  {
    number: 1,
    text: 'Rolling back took forty minutes because the lifecycle rule deleted the previous model artifact.',
  },
  { number: 2, text: 'Code gets bigger chunks: a function split in half answers nothing.' },
];

describe('citedNumbers', () => {
  it('reads single, adjacent and listed markers, and skips links and indexes', () => {
    expect(citedNumbers('A [1]. B [2][3]. C [1, 4]. [5](https://x.y) items[6] `a[7]`')).toEqual([
      1, 2, 3, 1, 4,
    ]);
  });
});

describe('support', () => {
  it('is the share of the sentence’s distinct content words found in the passage', () => {
    expect(support('The rollback took forty minutes.', passages[0]?.text ?? '')).toBeCloseTo(3 / 4);
    expect(support('Bananas are yellow.', passages[0]?.text ?? '')).toBe(0);
    expect(support('It is.', passages[0]?.text ?? '')).toBe(0);
  });
});

describe('answerSentences', () => {
  it('gives a marker written after the full stop to the sentence before it', () => {
    expect(answerSentences('Rolling back took forty minutes. [1] Code gets bigger chunks [2].')).toEqual([
      { text: 'Rolling back took forty minutes.', cited: [1] },
      { text: 'Code gets bigger chunks [2].', cited: [2] },
    ]);
  });

  it('leaves out code blocks, headings and sentences without a content word', () => {
    const answer = '## Rollback\n\nOk.\n\n```ts\nconst a = 1;\n```\n- Previous model artifact deleted [1].';
    expect(answerSentences(answer)).toEqual([{ text: 'Previous model artifact deleted [1].', cited: [1] }]);
  });
});

describe('scoreGrounding', () => {
  it('counts a sentence as grounded only when a passage it cites supports it', () => {
    const score = scoreGrounding(
      'Rolling back took forty minutes [1]. A function split in half answers nothing [1]. Trains run on rails daily [2]. Code gets bigger chunks.',
      passages,
    );
    expect(score).toMatchObject({ sentences: 4, supported: 1, citations: 3, validCitations: 3 });
    expect(score.groundedness).toBe(0.25);
    expect(score.citationValidity).toBe(1);
  });

  it('measures citation validity against the passages given', () => {
    const score = scoreGrounding(
      'Rolling back took forty minutes [1][3]. Code gets bigger chunks [9].',
      passages,
    );
    expect(score).toMatchObject({ citations: 3, validCitations: 1, supported: 1 });
    expect(score.citationValidity).toBeCloseTo(1 / 3);
  });

  it('scores an empty answer 0 and an answer without citations valid', () => {
    expect(scoreGrounding('', passages)).toMatchObject({
      sentences: 0,
      groundedness: 0,
      citationValidity: 1,
    });
  });
});
