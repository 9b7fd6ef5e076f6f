import { ValidationError } from '../../errors.ts';
import type { VectorFilter } from '../../ports/vector-store.ts';

/**
 * The part of Qdrant's filter language this adapter sends. The client's generated `Filter` type
 * accepts almost any object (every field also allows `Record<string, unknown>`), so a typo would
 * reach the server; building filters only through this type keeps them checked.
 */
export type QdrantMatch = { value: string } | { any: string[] };
export type QdrantFieldCondition = { key: PayloadKey; match: QdrantMatch };
export type QdrantFilter = { must: QdrantFieldCondition[] };

/** Payload fields that filters use; each has a keyword payload index. */
export const payloadKeys = ['authorId', 'platform', 'category', 'documentId'] as const;
export type PayloadKey = (typeof payloadKeys)[number];

/**
 * Our filter as Qdrant's: every given field must match (`must`), an array means "any of"
 * (`match.any`, each value once). Undefined for no filter; null when the filter can match nothing
 * (an empty "any of" list), so the caller answers without asking the server.
 */
export function toQdrantFilter(filter: VectorFilter | undefined): QdrantFilter | undefined | null {
  if (!filter) return undefined;
  const must: QdrantFieldCondition[] = [];
  for (const key of payloadKeys) {
    const wanted = filter[key];
    if (wanted === undefined) continue;
    if (Array.isArray(wanted)) {
      if (wanted.length === 0) return null;
      assertStrings(key, wanted);
      // Qdrant's schema declares `match.any` with `uniqueItems`.
      const values: string[] = [...new Set(wanted)];
      must.push({ key, match: values.length === 1 ? { value: values[0] as string } : { any: values } });
    } else {
      assertStrings(key, [wanted]);
      must.push({ key, match: { value: wanted } });
    }
  }
  return must.length > 0 ? { must } : undefined;
}

/** The condition for one document's points (delete, list). */
export function documentFilter(documentId: string): QdrantFilter {
  assertStrings('documentId', [documentId]);
  return { must: [{ key: 'documentId', match: { value: documentId } }] };
}

function assertStrings(key: string, values: readonly unknown[]): void {
  for (const value of values) {
    if (typeof value !== 'string')
      throw new ValidationError(`filter ${key} must be a string, got ${typeof value}`);
  }
}
