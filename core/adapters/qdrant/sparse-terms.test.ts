import { describe, expect, it } from 'vitest';
import { porterStem } from './porter-stemmer.ts';
import { documentSparseVector, keywordTerms, querySparseVector, termIndex } from './sparse-terms.ts';

describe('porterStem', () => {
  it('folds word forms the way the Porter algorithm (FTS5 `porter`) does', () => {
    const cases: [string, string][] = [
      ['caresses', 'caress'],
      ['ponies', 'poni'],
      ['cats', 'cat'],
      ['crawlers', 'crawler'],
      ['crawling', 'crawl'],
      ['agreed', 'agre'],
      ['hopping', 'hop'],
      ['filing', 'file'],
      ['happy', 'happi'],
      ['relational', 'relat'],
      ['conditional', 'condit'],
      ['generalization', 'gener'],
      ['hopefulness', 'hope'],
      ['adjustment', 'adjust'],
      ['adoption', 'adopt'],
      ['controlling', 'control'],
      ['rollbacks', 'rollback'],
      ['probate', 'probat'],
    ];
    for (const [word, stem] of cases) expect(porterStem(word), word).toBe(stem);
  });

  it('leaves short words, digits and non-Latin words alone', () => {
    expect(porterStem('is')).toBe('is');
    expect(porterStem('2026')).toBe('2026');
    expect(porterStem('données')).toBe('données');
  });
});

describe('sparse terms', () => {
  it('tokenises like unicode61 with remove_diacritics and porter: case, punctuation and accents fold', () => {
    expect(keywordTerms('Crawlers, ROBOTS.txt — Café naïve')).toEqual([
      'crawler',
      'robot',
      'txt',
      'cafe',
      'naiv',
    ]);
    expect(keywordTerms('pointInTimeJoin(labels)')).toEqual(['pointintimejoin', 'label']);
  });

  it('hashes a term to the same uint32 every time, different terms to different indices', () => {
    expect(termIndex('rollback')).toBe(termIndex('rollback'));
    expect(termIndex('rollback')).not.toBe(termIndex('rollbacks'));
    for (const term of ['rollback', 'skew', 'é', '']) {
      const index = termIndex(term);
      expect(Number.isInteger(index) && index >= 0 && index <= 0xffffffff).toBe(true);
    }
    // FNV-1a reference values.
    expect(termIndex('')).toBe(0x811c9dc5);
    expect(termIndex('a')).toBe(0xe40c292c);
  });

  it('weights a document’s terms by saturated frequency, title words at half weight', () => {
    const vector = documentSparseVector('rollback rollback rollback alias', 'Rollback');
    // Indices are of stemmed terms ("alias" is stored as "alia").
    const weightIn = (sparse: typeof vector, word: string) =>
      sparse.values[sparse.indices.indexOf(termIndex(keywordTerms(word)[0] ?? ''))] ?? 0;
    const weight = (word: string) => weightIn(vector, word);
    expect(vector.indices).toEqual([...vector.indices].sort((left, right) => left - right));
    expect(new Set(vector.indices).size).toBe(vector.indices.length);
    expect(weight('alias')).toBeGreaterThan(0);
    expect(weight('rollback')).toBeGreaterThan(weight('alias'));
    // Saturation: three and a half occurrences weigh less than three and a half times one.
    expect(weight('rollback')).toBeLessThan(3.5 * weight('alias'));
    const titled = documentSparseVector('alias', 'Skew');
    const plain = documentSparseVector('alias skew', '');
    const titleSkew = weightIn(titled, 'skew');
    const textSkew = weightIn(plain, 'skew');
    expect(titleSkew).toBeGreaterThan(0);
    expect(titleSkew).toBeLessThan(textSkew);
    expect(documentSparseVector('?!', '')).toEqual({ indices: [], values: [] });
  });

  it('a query keeps each meaningful stemmed word once, drops stop words, and finds the document’s indices', () => {
    const query = querySparseVector('How FAST is a rollback? Rollbacks!');
    expect(query?.indices.sort()).toEqual([termIndex('fast'), termIndex('rollback')].sort());
    expect(query?.values).toEqual([1, 1]);
    const document = documentSparseVector('The rollback was fast.', '');
    for (const index of query?.indices ?? []) expect(document.indices).toContain(index);
  });

  it('a query of only stop words still searches them; a query without words is null', () => {
    expect(querySparseVector('who are you')?.indices).toHaveLength(3);
    for (const text of ['', '   ', '?!', '"" * ^ :', '()']) expect(querySparseVector(text), text).toBeNull();
  });

  it('treats query syntax as plain words', () => {
    const hostile = querySparseVector("NEAR(rollback alias) text:rollback'); drop table x; --");
    expect(hostile?.indices).toContain(termIndex('rollback'));
    expect(hostile?.indices).toContain(termIndex('near'));
  });
});
