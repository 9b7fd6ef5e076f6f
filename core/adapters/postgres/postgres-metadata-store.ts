import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { ConfigError, ServiceError } from '../../errors.ts';
import type { DatabaseSchema } from '../sql/database-schema.ts';
import { SqlMetadataStore } from '../sql/sql-metadata-store.ts';

export type PostgresMetadataStoreOptions = {
  /** postgres://user:password@host:5432/database */
  url: string;
  /** Every table lives in this schema, created when missing. */
  schema: string;
  poolSize: number;
};

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The scale-out metadata store: the shared SQL repositories on a pg pool.
 *
 * Tables are found through `search_path`, set as a start-up parameter of every pooled connection,
 * rather than with Kysely's `withSchema`: the repositories, the migrations (schema builder and
 * Kysely's own migration tables) and every raw `sql` fragment then resolve unqualified names into
 * our schema unchanged, with no extra round trip per query and no way to forget one call site.
 * `public` stays on the path after it, so extensions installed there remain visible.
 */
export function createPostgresMetadataStore(options: PostgresMetadataStoreOptions): SqlMetadataStore {
  if (!schemaName.test(options.schema)) {
    throw new ConfigError([
      `stores.metadata.schema "${options.schema}" is not a plain lower-case identifier`,
    ]);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    options: `-c search_path=${options.schema},public`,
    // Fail fast with a clear error instead of hanging when the server is unreachable.
    connectionTimeoutMillis: 10_000,
  });
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  return new SqlMetadataStore(db, {
    dialect: 'postgres',
    migrationTableSchema: options.schema,
    prepare: () => ensureSchema(db, options),
  });
}

async function ensureSchema(
  db: Kysely<DatabaseSchema>,
  options: PostgresMetadataStoreOptions,
): Promise<void> {
  try {
    // Serialised by an advisory lock: two processes running `create schema if not exists` at
    // once can still collide on the catalog's unique index.
    await db.transaction().execute(async (transaction) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`twin-schema:${options.schema}`}))`.execute(
        transaction,
      );
      await sql`create schema if not exists ${sql.id(options.schema)}`.execute(transaction);
    });
  } catch (error) {
    throw new ServiceError(
      `cannot prepare PostgreSQL schema "${options.schema}" at ${redact(options.url)}: ${describe(error)}`,
      { cause: error, retryable: true },
    );
  }
}

/** Node reports a refused connection to a host with several addresses as an AggregateError with no message. */
function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map(describe).join('; ');
  return error instanceof Error ? error.message || error.name : String(error);
}

/** The URL without its password, for error messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}
