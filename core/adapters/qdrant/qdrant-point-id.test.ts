import { describe, expect, it } from 'vitest';
import { storedPointId, toQdrantPointId } from './qdrant-point-id.ts';

describe('toQdrantPointId', () => {
  it('sends digits as a number and anything else as the string, for Qdrant to judge', () => {
    expect(toQdrantPointId('0')).toBe(0);
    expect(toQdrantPointId('42')).toBe(42);
    expect(toQdrantPointId('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(toQdrantPointId('a1000000-0000-5000-8000-000000000000')).toBe(
      'a1000000-0000-5000-8000-000000000000',
    );
    // A leading zero or sign is not how Qdrant writes an integer id: left to it as a string.
    expect(toQdrantPointId('042')).toBe('042');
    expect(toQdrantPointId('-1')).toBe('-1');
  });

  it('refuses an integer a JavaScript number would round', () => {
    expect(() => toQdrantPointId('9007199254740993')).toThrow(
      'point id 9007199254740993 is above 2^53 − 1, the largest integer id this store can send exactly',
    );
  });
});

describe('storedPointId', () => {
  it('takes integers and lowercase hyphenated UUIDs, the forms Qdrant answers with', () => {
    expect(storedPointId('7')).toBe(7);
    expect(storedPointId('6f3b2c1e-9a0d-5b4e-8c7f-1a2b3c4d5e6f')).toBe(
      '6f3b2c1e-9a0d-5b4e-8c7f-1a2b3c4d5e6f',
    );
  });

  it('refuses the rest by name', () => {
    for (const id of [
      '',
      'chunk-1',
      '6F3B2C1E-9A0D-5B4E-8C7F-1A2B3C4D5E6F',
      '6f3b2c1e9a0d5b4e8c7f1a2b3c4d5e6f',
    ]) {
      expect(() => storedPointId(id)).toThrow(
        `point id "${id}" is neither an unsigned integer nor a UUID in lowercase with hyphens`,
      );
    }
  });
});
