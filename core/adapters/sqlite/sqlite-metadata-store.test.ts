import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMetadataStoreContract } from '../../contracts/metadata-store-contract.ts';
import { migrationProvider } from '../sql/migrations.ts';
import { openSqliteDatabase } from './open-sqlite-database.ts';
import { createSqliteMetadataStore } from './sqlite-metadata-store.ts';

runMetadataStoreContract('sqlite (memory)', async () => {
  const database = openSqliteDatabase(':memory:');
  const store = createSqliteMetadataStore(database);
  return Object.assign(Object.create(store), {
    close: async () => {
      await store.close();
      database.close();
    },
  });
});

describe('sqlite metadata store on disk', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-sqlite-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps data across reopen and runs migrations once', async () => {
    const path = join(folder, 'nested', 'twin.db');
    const first = openSqliteDatabase(path);
    const store = createSqliteMetadataStore(first);
    await store.migrate();
    await store.documents.upsertAuthor('Ada Quill');
    await store.close();
    first.close();

    const second = openSqliteDatabase(path);
    const reopened = createSqliteMetadataStore(second);
    await reopened.migrate();
    expect((await reopened.documents.listAuthors()).map((author) => author.name)).toEqual(['Ada Quill']);
    const migrations = second.prepare('select count(*) as count from kysely_migration').get() as {
      count: number;
    };
    expect(migrations.count).toBe(Object.keys(await migrationProvider.getMigrations()).length);
    await reopened.close();
    second.close();
  });
});
