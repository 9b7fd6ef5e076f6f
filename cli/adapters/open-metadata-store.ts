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

/** The metadata store the configuration selects, migrated and ready. */
export async function openMetadataStore(config: TwinConfig): Promise<OpenedMetadataStore> {
  const selected = config.stores.metadata;
  switch (selected.driver) {
    case 'sqlite': {
      const database = openSqliteDatabase(resolveDataPath(config, selected.path));
      const metadata = createSqliteMetadataStore(database);
      await metadata.migrate();
      return {
        metadata,
        sqlite: database,
        close: async () => {
          await metadata.close();
          database.close();
        },
      };
    }
    default:
      throw new ConfigError([`stores.metadata.driver ${selected.driver} is not available yet`]);
  }
}
