import { describe, expect, it } from 'vitest';
import type { VectorFilter } from '../../ports/vector-store.ts';
import { documentFilter, toQdrantFilter } from './qdrant-filter.ts';

describe('toQdrantFilter', () => {
  it('gives no filter for no fields', () => {
    expect(toQdrantFilter(undefined)).toBeUndefined();
    expect(toQdrantFilter({})).toBeUndefined();
  });

  it('ANDs the given fields in `must`, a single value as match.value, a list as match.any', () => {
    expect(
      toQdrantFilter({
        documentId: ['d1', 'd2'],
        category: 'post',
        authorId: 'ada',
        platform: ['linkedin'],
      }),
    ).toEqual({
      must: [
        { key: 'authorId', match: { value: 'ada' } },
        { key: 'platform', match: { value: 'linkedin' } },
        { key: 'category', match: { value: 'post' } },
        { key: 'documentId', match: { any: ['d1', 'd2'] } },
      ],
    });
  });

  it('sends each value of a list once, and a list of one repeated value as match.value', () => {
    expect(toQdrantFilter({ category: ['post', 'article', 'post'], documentId: ['d1', 'd1'] })).toEqual({
      must: [
        { key: 'category', match: { any: ['post', 'article'] } },
        { key: 'documentId', match: { value: 'd1' } },
      ],
    });
  });

  it('returns null for a filter that can match nothing (an empty list)', () => {
    expect(toQdrantFilter({ authorId: 'ada', category: [] })).toBeNull();
  });

  it('refuses values that are not strings instead of sending them', () => {
    expect(() => toQdrantFilter({ authorId: 7 } as unknown as VectorFilter)).toThrow(
      /authorId must be a string/,
    );
    expect(() => toQdrantFilter({ platform: ['web', { $ne: 1 }] } as unknown as VectorFilter)).toThrow(
      /platform must be a string/,
    );
  });

  it('ignores fields that are not filter fields', () => {
    expect(toQdrantFilter({ text: 'x' } as unknown as VectorFilter)).toBeUndefined();
  });
});

describe('documentFilter', () => {
  it('matches one document’s points', () => {
    expect(documentFilter('d1')).toEqual({ must: [{ key: 'documentId', match: { value: 'd1' } }] });
  });
});
