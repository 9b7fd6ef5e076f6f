import { NotFoundError, ValidationError } from '../../errors.ts';
import type { VectorFilter, VectorHit, VectorPoint, VectorStore } from '../../ports/vector-store.ts';
import { ChunkPayload } from '../../types/chunk.ts';
import type { FeatureSet } from '../../types/feature-set.ts';
import type { SqliteDatabase } from '../sqlite/open-sqlite-database.ts';

const filterColumns = {
  authorId: 'author_id',
  platform: 'platform',
  category: 'category',
  documentId: 'document_id',
};

/**
 * The embedded vector store: one sqlite-vec `vec0` table per feature set, in the same database file
 * as the metadata. Search is an exact KNN in C with the payload filters applied inside the scan
 * (vec0 metadata columns), so a filter never cuts the result below k the way post-filtering would.
 */
export class SqliteVecVectorStore implements VectorStore {
  private readonly dimensions = new Map<string, number>();

  constructor(
    private readonly database: SqliteDatabase,
    private readonly options: { ownsDatabase?: boolean } = {},
  ) {
    database.exec(
      'create table if not exists vector_collections (feature_set_id text primary key, dimensions integer not null)',
    );
  }

  async ensureCollection(featureSet: FeatureSet): Promise<void> {
    const dimensions = featureSet.spec.embedder.dimensions;
    const existing = this.collectionDimensions(featureSet.id);
    if (existing !== null) {
      if (existing !== dimensions) {
        throw new ValidationError(
          `collection ${featureSet.id} has ${existing} dimensions, the feature set says ${dimensions}`,
        );
      }
      return;
    }
    this.database.transaction(() => {
      this.database.exec(
        `create virtual table if not exists ${tableName(featureSet.id)} using vec0(
          id text primary key,
          embedding float[${dimensions}] distance_metric=cosine,
          author_id text, platform text, category text, document_id text,
          +chunk_index integer, +payload text)`,
      );
      this.database
        .prepare('insert into vector_collections (feature_set_id, dimensions) values (?, ?)')
        .run(featureSet.id, dimensions);
    })();
    this.dimensions.set(featureSet.id, dimensions);
  }

  async upsert(featureSetId: string, points: readonly VectorPoint[]): Promise<void> {
    const dimensions = this.requireCollection(featureSetId);
    const table = tableName(featureSetId);
    const remove = this.database.prepare(`delete from ${table} where id = ?`);
    const insert = this.database.prepare(
      `insert into ${table} (id, embedding, author_id, platform, category, document_id, chunk_index, payload)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const point of points) {
      if (point.vector.length !== dimensions) {
        throw new ValidationError(
          `point ${point.id} has ${point.vector.length} dimensions, expected ${dimensions}`,
        );
      }
    }
    // vec0 has no UPSERT; delete + insert inside one transaction is atomic for readers.
    this.database.transaction(() => {
      for (const point of points) {
        const payload = ChunkPayload.parse(point.payload);
        remove.run(point.id);
        insert.run(
          point.id,
          toBlob(point.vector),
          payload.authorId,
          payload.platform,
          payload.category,
          payload.documentId,
          BigInt(payload.chunkIndex),
          JSON.stringify(payload),
        );
      }
    })();
  }

  async deleteByDocument(featureSetId: string, documentId: string): Promise<number> {
    if (this.collectionDimensions(featureSetId) === null) return 0;
    const result = this.database
      .prepare(`delete from ${tableName(featureSetId)} where document_id = ?`)
      .run(documentId);
    return result.changes;
  }

  async search(
    featureSetId: string,
    vector: Float32Array,
    options: { k: number; filter?: VectorFilter },
  ): Promise<VectorHit[]> {
    const dimensions = this.requireCollection(featureSetId);
    if (vector.length !== dimensions) {
      throw new ValidationError(
        `query has ${vector.length} dimensions, collection ${featureSetId} has ${dimensions}`,
      );
    }
    if (!Number.isInteger(options.k) || options.k < 1 || options.k > 4096) {
      throw new ValidationError(`k must be an integer from 1 to 4096, got ${options.k}`);
    }
    const where = whereClause(options.filter);
    if (!where) return [];
    const { clause, values } = where;
    const rows = this.database
      .prepare(
        `select id, distance, payload from ${tableName(featureSetId)}
         where embedding match ? and k = ?${clause ? ` and ${clause}` : ''}
         order by distance`,
      )
      .all(toBlob(vector), options.k, ...values) as { id: string; distance: number; payload: string }[];
    return rows.map((row) => ({
      id: row.id,
      score: 1 - row.distance,
      payload: ChunkPayload.parse(JSON.parse(row.payload)),
    }));
  }

  async count(featureSetId: string, filter?: VectorFilter): Promise<number> {
    if (this.collectionDimensions(featureSetId) === null) return 0;
    const where = whereClause(filter);
    if (!where) return 0;
    const { clause, values } = where;
    const row = this.database
      .prepare(`select count(*) as count from ${tableName(featureSetId)}${clause ? ` where ${clause}` : ''}`)
      .get(...values) as { count: number };
    return row.count;
  }

  async listDocumentPoints(featureSetId: string, documentId: string): Promise<string[]> {
    if (this.collectionDimensions(featureSetId) === null) return [];
    const rows = this.database
      .prepare(`select id, chunk_index from ${tableName(featureSetId)} where document_id = ?`)
      .all(documentId) as { id: string; chunk_index: number }[];
    return rows.sort((a, b) => a.chunk_index - b.chunk_index).map((row) => row.id);
  }

  async getVector(featureSetId: string, id: string): Promise<Float32Array | null> {
    if (this.collectionDimensions(featureSetId) === null) return null;
    const row = this.database
      .prepare(`select embedding from ${tableName(featureSetId)} where id = ?`)
      .get(id) as { embedding: Buffer } | undefined;
    if (!row) return null;
    const bytes = row.embedding;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  async dropCollection(featureSetId: string): Promise<void> {
    this.database.transaction(() => {
      this.database.exec(`drop table if exists ${tableName(featureSetId)}`);
      this.database.prepare('delete from vector_collections where feature_set_id = ?').run(featureSetId);
    })();
    this.dimensions.delete(featureSetId);
  }

  async close(): Promise<void> {
    if (this.options.ownsDatabase) this.database.close();
  }

  private collectionDimensions(featureSetId: string): number | null {
    const cached = this.dimensions.get(featureSetId);
    if (cached !== undefined) return cached;
    const row = this.database
      .prepare('select dimensions from vector_collections where feature_set_id = ?')
      .get(featureSetId) as { dimensions: number } | undefined;
    if (!row) return null;
    this.dimensions.set(featureSetId, row.dimensions);
    return row.dimensions;
  }

  private requireCollection(featureSetId: string): number {
    const dimensions = this.collectionDimensions(featureSetId);
    if (dimensions === null) throw new NotFoundError(`no vector collection for feature set ${featureSetId}`);
    return dimensions;
  }
}

/** Feature set ids are validated (`fs_` + hex) before they reach SQL, so the name is safe to inline. */
function tableName(featureSetId: string): string {
  if (!/^fs_[0-9a-f]{12}$/.test(featureSetId))
    throw new ValidationError(`invalid feature set id ${featureSetId}`);
  return `vectors_${featureSetId}`;
}

/** SQL conditions for a filter; null when the filter can match nothing (an empty "any of" list). */
function whereClause(filter: VectorFilter | undefined): { clause: string; values: string[] } | null {
  const parts: string[] = [];
  const values: string[] = [];
  for (const [key, column] of Object.entries(filterColumns)) {
    const wanted = filter?.[key as keyof VectorFilter];
    if (wanted === undefined) continue;
    const list = Array.isArray(wanted) ? wanted : [wanted];
    if (list.length === 0) return null;
    parts.push(list.length === 1 ? `${column} = ?` : `${column} in (${list.map(() => '?').join(', ')})`);
    values.push(...list);
  }
  return { clause: parts.join(' and '), values };
}

function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}
