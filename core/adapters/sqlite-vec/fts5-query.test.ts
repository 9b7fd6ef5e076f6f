import { describe, expect, it } from 'vitest';
import { toFts5Query } from './fts5-query.ts';

describe('toFts5Query', () => {
  it('quotes each distinct word and ORs them, dropping stop words', () => {
    expect(toFts5Query('How fast is a Rollback? rollback!')).toBe('"fast" OR "rollback"');
  });

  it('leaves nothing of FTS5 syntax but words', () => {
    expect(toFts5Query('title:"skew" AND NEAR(a* b) ^c -d {e}')).toBe(
      '"title" OR "skew" OR "near" OR "b" OR "c" OR "d" OR "e"',
    );
  });

  it('keeps letters and digits of any script, normalised', () => {
    expect(toFts5Query('Ｐ95 latens på 80k vektorer')).toBe(
      '"p95" OR "latens" OR "på" OR "80k" OR "vektorer"',
    );
  });

  it('searches stop words when nothing else is left, and returns null for no words', () => {
    expect(toFts5Query('Who are you?')).toBe('"who" OR "are" OR "you"');
    expect(toFts5Query(' ?! "" ')).toBeNull();
  });

  it('caps a long text at 32 terms', () => {
    const words = Array.from({ length: 50 }, (_, index) => `word${index}`).join(' ');
    expect(toFts5Query(words)?.split(' OR ')).toHaveLength(32);
  });
});
