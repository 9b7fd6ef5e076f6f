/**
 * The engine under the shared repositories. They differ only where PostgreSQL's many concurrent
 * writers need row locks (`for update`, `skip locked`) that SQLite's single writer makes
 * unnecessary and that SQLite's grammar rejects.
 */
export type SqlDialect = 'sqlite' | 'postgres';
