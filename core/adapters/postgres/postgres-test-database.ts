import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresMetadataStore } from './postgres-metadata-store.ts';

/** The PostgreSQL that tests use (CI provides it); TWIN_TEST_POSTGRES_URL points elsewhere. */
export const testPostgresUrl =
  process.env.TWIN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Unique `twin_test_<random>_<n>` schemas for one test file, all dropped (cascade) by `dropAll`.
 * Fails with a clear message when the server cannot be reached, instead of timing out per test.
 */
export function testSchemas() {
  const prefix = `twin_test_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  const admin = new pg.Pool({ connectionString: testPostgresUrl, max: 1, connectionTimeoutMillis: 5_000 });
  return {
    async assertReachable(): Promise<void> {
      try {
        await admin.query('select 1');
      } catch (error) {
        const reason = error instanceof AggregateError ? error.errors.map(String).join('; ') : String(error);
        throw new Error(
          `PostgreSQL is unreachable at ${testPostgresUrl} (${reason}). These tests need a real server: start one or set TWIN_TEST_POSTGRES_URL.`,
        );
      }
    },
    /** A new schema name, dropped with the others at the end. */
    next(): string {
      const schema = `${prefix}_${created.length}`;
      created.push(schema);
      return schema;
    },
    /** A store on `schema` with its own pool (several stores on one schema act like several workers). */
    store(schema: string, poolSize = 4) {
      return createPostgresMetadataStore({ url: testPostgresUrl, schema, poolSize });
    },
    query: (text: string) => admin.query(text),
    async dropAll(): Promise<void> {
      for (const schema of created) await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    },
  };
}
