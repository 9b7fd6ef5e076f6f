import { QdrantVectorStore } from '../../core/adapters/qdrant/qdrant-vector-store.ts';
import { openSqliteDatabase, type SqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { SqliteVecVectorStore } from '../../core/adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import type { TwinConfig } from '../../core/config/config-schema.ts';
import { resolveDataPath } from '../../core/config/load-config.ts';
import { ConfigError } from '../../core/errors.ts';
import type { VectorStore } from '../../core/ports/vector-store.ts';

/**
 * The vector store the configuration selects. The embedded store shares the metadata's SQLite file
 * when there is one, and otherwise keeps its own `vectors.db` in the data folder.
 */
export function openVectorStore(config: TwinConfig, sqlite: SqliteDatabase | null): VectorStore {
  const selected = config.stores.vectors;
  switch (selected.driver) {
    case 'sqlite-vec':
      return sqlite
        ? new SqliteVecVectorStore(sqlite)
        : new SqliteVecVectorStore(openSqliteDatabase(resolveDataPath(config, 'vectors.db')), {
            ownsDatabase: true,
          });
    case 'qdrant':
      return new QdrantVectorStore({
        url: selected.url,
        apiKey: selected.apiKey,
        collectionPrefix: selected.collectionPrefix,
        timeoutMs: selected.timeoutMs,
        upsertBatchSize: selected.upsertBatchSize,
        maxRequestBytes: selected.maxRequestMb * 1024 * 1024,
      });
    default:
      throw new ConfigError([
        `stores.vectors.driver ${(selected as { driver: string }).driver} is not available`,
      ]);
  }
}
