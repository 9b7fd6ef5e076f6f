import { createPostgresMetadataStore } from '../../core/adapters/postgres/postgres-metadata-store.ts';
import { openSqliteDatabase, type SqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../../core/adapters/sqlite/sqlite-metadata-store.ts';
import type { TwinConfig } from '../../core/config/config-schema.ts';
import { resolveDataPath } from '../../core/config/load-config.ts';
import { ConfigError } from '../../core/errors.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';

export type OpenedMetadataStore = {
  metadata: MetadataStore;
  /** The SQLite file, when metadata lives in one; the embedded vector store shares it. */
  sqlite: SqliteDatabase | null;
  close(): Promise<void>;
};

/**
 * The metadata store the configuration selects, migrated and ready. `migrate: false` opens it as
 * it is (`twin migrate` applies and reports migrations itself).
 */
export async function openMetadataStore(
  config: TwinConfig,
  options: { migrate?: boolean } = {},
): Promise<OpenedMetadataStore> {
  const migrate = options.migrate ?? true;
  const selected = config.stores.metadata;
  switch (selected.driver) {
    case 'sqlite': {
      const database = openSqliteDatabase(resolveDataPath(config, selected.path));
      const metadata = createSqliteMetadataStore(database);
      try {
        if (migrate) await metadata.migrate();
      } catch (error) {
        await metadata.close();
        database.close();
        throw error;
      }
      return {
        metadata,
        sqlite: database,
        close: async () => {
          await metadata.close();
          database.close();
        },
      };
    }
    case 'postgres': {
      const metadata = createPostgresMetadataStore({
        url: selected.url,
        schema: selected.schema,
        poolSize: selected.poolSize,
      });
      try {
        if (migrate) await metadata.migrate();
      } catch (error) {
        await metadata.close();
        throw error;
      }
      return { metadata, sqlite: null, close: () => metadata.close() };
    }
    default:
      throw new ConfigError([
        `stores.metadata.driver ${(selected as { driver: string }).driver} is not available`,
      ]);
  }
}
