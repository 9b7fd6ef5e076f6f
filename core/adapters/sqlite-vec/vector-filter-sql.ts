import { ValidationError } from '../../errors.ts';
import type { VectorFilter } from '../../ports/vector-store.ts';

/** The filterable payload fields and their columns, the same in the vec0 table and the keyword rows. */
const filterColumns = {
  authorId: 'author_id',
  platform: 'platform',
  category: 'category',
  documentId: 'document_id',
};

export function assertK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > 4096) {
    throw new ValidationError(`k must be an integer from 1 to 4096, got ${k}`);
  }
}

/**
 * SQL conditions for a filter, columns qualified by `prefix` (a table alias and dot) in joins;
 * null when the filter can match nothing (an empty "any of" list).
 */
export function whereClause(
  filter: VectorFilter | undefined,
  prefix = '',
): { clause: string; values: string[] } | null {
  const parts: string[] = [];
  const values: string[] = [];
  for (const [key, column] of Object.entries(filterColumns)) {
    const wanted = filter?.[key as keyof VectorFilter];
    if (wanted === undefined) continue;
    const list = Array.isArray(wanted) ? wanted : [wanted];
    if (list.length === 0) return null;
    parts.push(
      list.length === 1
        ? `${prefix}${column} = ?`
        : `${prefix}${column} in (${list.map(() => '?').join(', ')})`,
    );
    values.push(...list);
  }
  return { clause: parts.join(' and '), values };
}
