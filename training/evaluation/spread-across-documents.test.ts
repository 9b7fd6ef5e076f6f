import { describe, expect, it } from 'vitest';
import { spreadAcrossDocuments } from './spread-across-documents.ts';

const example = (sourceDocumentId: string, index: number) => ({ sourceDocumentId, index });
// Document a has three examples, b one, c two: in split order, grouped by document.
const split = [
  example('a', 0),
  example('a', 1),
  example('a', 2),
  example('b', 3),
  example('c', 4),
  example('c', 5),
];
const picked = (limit: number) => spreadAcrossDocuments(split, limit).map((one) => one.index);

describe('spreadAcrossDocuments', () => {
  it('takes one example of each document before a second of any', () => {
    expect(picked(2)).toEqual([0, 3]);
    expect(picked(3)).toEqual([0, 3, 4]);
    expect(picked(5)).toEqual([0, 3, 4, 1, 5]);
  });

  it('gives the whole split, each example once, when the limit covers it', () => {
    expect(picked(6).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(picked(100)).toHaveLength(6);
    expect(spreadAcrossDocuments([], 3)).toEqual([]);
  });
});
