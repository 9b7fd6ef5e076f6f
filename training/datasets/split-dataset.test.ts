import { describe, expect, it } from 'vitest';
import { splitDataset } from './split-dataset.ts';

const examples = Array.from({ length: 40 }, (_, document) =>
  Array.from({ length: 1 + (document % 4) }, (_, pair) => ({ sourceDocumentId: `doc-${document}`, pair })),
).flat();

describe('splitDataset', () => {
  it('keeps every document on one side, with no leakage and nothing lost', () => {
    const { train, test } = splitDataset(examples, { testFraction: 0.2, seed: 'twin' });
    const trainDocuments = new Set(train.map((example) => example.sourceDocumentId));
    const testDocuments = new Set(test.map((example) => example.sourceDocumentId));
    expect([...testDocuments].filter((id) => trainDocuments.has(id))).toEqual([]);
    expect(train.length + test.length).toBe(examples.length);
    expect(testDocuments.size).toBeGreaterThan(2);
    expect(testDocuments.size).toBeLessThan(16);
    // Input order is kept on each side.
    expect(train).toEqual(examples.filter((example) => trainDocuments.has(example.sourceDocumentId)));
  });

  it('is deterministic for a seed, differs across seeds, and is stable as documents are added', () => {
    const first = splitDataset(examples, { testFraction: 0.2, seed: 'twin' });
    expect(splitDataset([...examples], { testFraction: 0.2, seed: 'twin' })).toEqual(first);
    const other = splitDataset(examples, { testFraction: 0.2, seed: 'another seed' });
    expect(other.test).not.toEqual(first.test);
    // A document's side depends on its own id only: adding documents moves no existing one.
    const grown = splitDataset([...examples, { sourceDocumentId: 'doc-new', pair: 0 }], {
      testFraction: 0.2,
      seed: 'twin',
    });
    expect(grown.test.filter((example) => example.sourceDocumentId !== 'doc-new')).toEqual(first.test);
  });

  it('guarantees a test document with two or more documents, and always keeps a train document', () => {
    const two = [
      { sourceDocumentId: 'a', pair: 0 },
      { sourceDocumentId: 'a', pair: 1 },
      { sourceDocumentId: 'b', pair: 0 },
    ];
    const tiny = splitDataset(two, { testFraction: 0.001, seed: 'twin' });
    expect(tiny.test.length).toBeGreaterThan(0);
    expect(tiny.train.length).toBeGreaterThan(0);
    const huge = splitDataset(two, { testFraction: 0.9, seed: 'twin' });
    expect(huge.train.length).toBeGreaterThan(0);
    expect(huge.test.length).toBeGreaterThan(0);
    expect(splitDataset(two, { testFraction: 0, seed: 'twin' }).test).toEqual([]);
    const single = splitDataset(two.slice(0, 2), { testFraction: 0.9, seed: 'twin' });
    expect(single).toEqual({ train: two.slice(0, 2), test: [] });
    expect(splitDataset([], { testFraction: 0.5, seed: 'twin' })).toEqual({ train: [], test: [] });
  });
});

describe('splitDataset by example count', () => {
  it('fills the test side to about the asked fraction of examples, whatever documents yield', () => {
    // Documents with very different yields: one long article with 40 pairs, many posts with 1–5.
    const examples = [
      ...Array.from({ length: 40 }, () => ({ sourceDocumentId: 'long-article' })),
      ...Array.from({ length: 60 }, (_, index) => ({ sourceDocumentId: `post-${index % 30}` })),
    ];
    for (const seed of ['twin', 'other', 'third']) {
      const { train, test } = splitDataset(examples, { testFraction: 0.1, seed });
      expect(train.length + test.length).toBe(100);
      expect(test.length).toBeGreaterThanOrEqual(6);
      expect(test.length).toBeLessThanOrEqual(14);
      const testDocuments = new Set(test.map((example) => example.sourceDocumentId));
      expect(train.some((example) => testDocuments.has(example.sourceDocumentId))).toBe(false);
    }
  });
});
