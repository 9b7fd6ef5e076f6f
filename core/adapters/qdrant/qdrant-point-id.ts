import { ValidationError } from '../../errors.ts';

/** A point id as Qdrant takes it: an unsigned integer, or a UUID string. */
export type QdrantPointId = number | string;

const unsignedInteger = /^(0|[1-9][0-9]*)$/;
/** The form Qdrant answers UUIDs in, whatever form they were written in. */
const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Our string id as Qdrant's: digits are an integer id (Qdrant refuses `"42"` as a string), anything
 * else is sent as a string for Qdrant to read as a UUID. Integer ids above 2^53 − 1 are refused:
 * a JavaScript number cannot hold them exactly, and Node 20's JSON cannot write a BigInt.
 */
export function toQdrantPointId(id: string): QdrantPointId {
  if (!unsignedInteger.test(id)) return id;
  const value = Number(id);
  if (!Number.isSafeInteger(value)) {
    throw new ValidationError(
      `point id ${id} is above 2^53 − 1, the largest integer id this store can send exactly`,
    );
  }
  return value;
}

/**
 * The id of a point about to be written, in a form Qdrant stores and gives back unchanged, so the
 * id a search returns is the id that was written: an unsigned integer, or a lowercase hyphenated
 * UUID. Anything else Qdrant would refuse with a 400 or hand back rewritten.
 */
export function storedPointId(id: string): QdrantPointId {
  const converted = toQdrantPointId(id);
  if (typeof converted === 'string' && !canonicalUuid.test(converted)) {
    throw new ValidationError(
      `point id "${id}" is neither an unsigned integer nor a UUID in lowercase with hyphens: Qdrant stores only integers and UUIDs, and answers UUIDs in that form`,
    );
  }
  return converted;
}
