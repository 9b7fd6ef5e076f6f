import { describe, expect, it } from 'vitest';
import { sparseVectorProblem } from './qdrant-point.ts';
import { documentSparseVector } from './sparse-terms.ts';

describe('sparseVectorProblem', () => {
  it('accepts the keyword vectors this adapter builds', () => {
    expect(sparseVectorProblem(documentSparseVector('Rollback is one alias move.', 'Rollback'))).toBeNull();
    expect(sparseVectorProblem({ indices: [], values: [] })).toBeNull();
  });

  it('names what Qdrant would refuse', () => {
    expect(sparseVectorProblem({ indices: [1, 2], values: [0.5] })).toBe('2 indices but 1 values');
    expect(sparseVectorProblem({ indices: [1, 2 ** 32], values: [1, 1] })).toBe(
      'index 4294967296 is not an unsigned 32-bit integer',
    );
    expect(sparseVectorProblem({ indices: [-1], values: [1] })).toBe(
      'index -1 is not an unsigned 32-bit integer',
    );
    expect(sparseVectorProblem({ indices: [1.5], values: [1] })).toBe(
      'index 1.5 is not an unsigned 32-bit integer',
    );
    expect(sparseVectorProblem({ indices: [7, 3, 7], values: [1, 1, 1] })).toBe(
      'an index appears more than once',
    );
    expect(sparseVectorProblem({ indices: [3], values: [Number.NaN] })).toBe('a value is not finite');
  });
});
