import { sql } from 'kysely';

/**
 * The engine under the shared repositories. They differ only where PostgreSQL's many concurrent
 * writers need row locks (`for update`, `skip locked`) that SQLite's single writer makes
 * unnecessary and that SQLite's grammar rejects.
 */
export type SqlDialect = 'sqlite' | 'postgres';

/**
 * Sorts a text column by its bytes, as SQLite does. PostgreSQL otherwise sorts by the database's
 * collation (en_US and ICU locales skip or reorder punctuation such as `-` and `_`), so the same
 * ids would list in a different order on each engine.
 */
export function byteOrder(dialect: SqlDialect, column: string) {
  return dialect === 'postgres'
    ? sql<string>`${sql.ref(column)} collate "C"`
    : sql<string>`${sql.ref(column)}`;
}
