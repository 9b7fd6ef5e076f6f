import { ValidationError } from '../../errors.ts';

/**
 * Scales a vector to length 1, summing in float64 so the result does not depend on how an engine
 * rounded. Done by every adapter, even over engines that already normalise, because the stores
 * compare vectors by dot product and a feature set must never mix near-unit and unit vectors.
 */
export function toUnitVector(values: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] ?? Number.NaN;
    sum += value * value;
  }
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm) || norm === 0) {
    throw new ValidationError(`cannot normalise an embedding of length ${norm} (zero or not finite)`);
  }
  const unit = new Float32Array(values.length);
  for (let index = 0; index < values.length; index++) unit[index] = (values[index] ?? 0) / norm;
  return unit;
}
