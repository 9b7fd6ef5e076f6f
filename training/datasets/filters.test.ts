import { describe, expect, it } from 'vitest';
import type { InstructionExample } from '../../core/types/dataset.ts';
import { filterExamples, isBoilerplate, jaccard, shinglesOf } from './filters.ts';

const options = { minAnswerCharacters: 80, maxAnswerCharacters: 600, nearDuplicateThreshold: 0.85 };
const example = (
  answer: string,
  instruction = 'What do you think about rollback?',
  id = 'doc-1',
): InstructionExample => ({
  instruction,
  answer,
  kind: 'subject-to-opinion',
  sourceDocumentId: id,
});

const rollback =
  'Rolling back should take one command and about a minute. If it needs a meeting, you do not have a registry, you have a folder of files and a lot of hope.';
const skew =
  'Training-serving skew is the most expensive bug class I know, because nothing crashes: the model is fine, the features are fine, and the two are computed differently in two places.';

describe('filterExamples', () => {
  it('keeps good examples in order and counts every drop under its first reason', () => {
    const examples = [
      example(rollback),
      example('Too short to teach anything.'),
      example('x'.repeat(601)),
      example(skew, '   '),
      example(
        'Subscribe to my newsletter for more posts like this one!\nFollow me on LinkedIn for daily tips.\nhttps://boringml.substack.com/subscribe',
      ),
      example(`${rollback} `, 'How fast should a rollback be?', 'doc-2'),
      example(skew, 'What is training-serving skew?'),
    ];
    const { kept, dropped } = filterExamples(examples, options);
    expect(kept.map((entry) => entry.answer)).toEqual([rollback, skew]);
    expect(kept[1]?.instruction).toBe('What is training-serving skew?');
    expect(dropped).toEqual({
      'too-short': 1,
      'too-long': 1,
      'empty-instruction': 1,
      boilerplate: 1,
      'near-duplicate': 1,
    });
  });

  it('drops near-duplicates at the threshold and keeps answers that merely share a topic', () => {
    const edited = rollback.replace('about a minute', 'roughly a minute');
    const similarity = jaccard(shinglesOf(rollback), shinglesOf(edited));
    expect(similarity).toBeGreaterThan(0.6);
    expect(similarity).toBeLessThan(0.9);
    const near = filterExamples([example(rollback), example(edited)], {
      ...options,
      nearDuplicateThreshold: 0.6,
    });
    expect(near.kept).toHaveLength(1);
    const apart = filterExamples([example(rollback), example(edited)], {
      ...options,
      nearDuplicateThreshold: 0.9,
    });
    expect(apart.kept).toHaveLength(2);
    // Same topic, different words: not a duplicate even at a low threshold.
    const other =
      'A rollback is one alias move. Promotion and rollback are the same operation pointed in opposite directions, and both should be audited.';
    expect(
      filterExamples([example(rollback), example(other)], { ...options, nearDuplicateThreshold: 0.3 }).kept,
    ).toHaveLength(2);
  });

  it('is deterministic and ignores case and punctuation when comparing', () => {
    const shouted = rollback.toUpperCase().replace(/[.,]/g, ' ! ');
    const result = filterExamples([example(rollback), example(shouted)], options);
    expect(result.kept.map((entry) => entry.answer)).toEqual([rollback]);
    expect(filterExamples([example(rollback), example(shouted)], options)).toEqual(result);
  });
});

describe('isBoilerplate', () => {
  it('flags answers that are mostly links or calls to action, not prose that mentions a link', () => {
    expect(
      isBoilerplate('https://example.com/a-very-long-link?with=parameters https://example.com/another-one'),
    ).toBe(true);
    expect(
      isBoilerplate(
        'Thanks for reading!\nSubscribe to my newsletter so you never miss a post.\nShare this post',
      ),
    ).toBe(true);
    expect(
      isBoilerplate(
        'I wrote the skew check up as a tiny repository: https://github.com/noorhalvorsen/tiny-feature-store. It compares offline and online values for a handful of entities picked on purpose and fails CI when they disagree.',
      ),
    ).toBe(false);
    expect(isBoilerplate(skew)).toBe(false);
  });
});
