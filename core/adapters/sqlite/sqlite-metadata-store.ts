import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseSchema } from '../sql/database-schema.ts';
import { SqlMetadataStore } from '../sql/sql-metadata-store.ts';
import type { SqliteDatabase } from './open-sqlite-database.ts';

/** The embedded metadata store: the shared SQL repositories on a better-sqlite3 database. */
export function createSqliteMetadataStore(database: SqliteDatabase): SqlMetadataStore {
  // The database handle is owned by whoever opened it (the vector store may share it).
  const db = new Kysely<DatabaseSchema>({
    dialect: new SqliteDialect({ database: { ...wrap(database), close: () => {} } }),
  });
  return new SqlMetadataStore(db, { dialect: 'sqlite' });
}

function wrap(database: SqliteDatabase) {
  return {
    prepare: (sql: string) => database.prepare(sql),
  };
}
