import { NotFoundError, ValidationError } from '../../errors.ts';
import type { VectorFilter, VectorHit, VectorPoint, VectorStore } from '../../ports/vector-store.ts';
import { ChunkPayload } from '../../types/chunk.ts';
import type { FeatureSet } from '../../types/feature-set.ts';
import type { SqliteDatabase } from '../sqlite/open-sqlite-database.ts';
import { toFts5Query } from './fts5-query.ts';
import { bm25Weights, createKeywordIndex, fillKeywordIndex, keywordTableNames } from './keyword-index.ts';
import { assertK, whereClause } from './vector-filter-sql.ts';

/**
 * The embedded vector store: one sqlite-vec `vec0` table per feature set, in the same database file
 * as the metadata. Search is an exact KNN in C with the payload filters applied inside the scan
 * (vec0 metadata columns), so a filter never cuts the result below k the way post-filtering would.
 *
 * Keyword search uses an FTS5 index per feature set, written in the same transactions as the
 * vectors. The index is contentless (the text lives once, in the vector payload) and keyed by
 * the rowid of a small table that maps point ids and holds the filter columns, so an upsert or a
 * delete touches index rows by key instead of scanning the index for a point id.
 */
export class SqliteVecVectorStore implements VectorStore {
  private readonly dimensions = new Map<string, number>();
  /** Feature sets whose keyword index is known to exist (created or backfilled). */
  private readonly keywordIndexes = new Set<string>();

  constructor(
    private readonly database: SqliteDatabase,
    private readonly options: { ownsDatabase?: boolean } = {},
  ) {
    database.exec(
      `create table if not exists vector_collections (feature_set_id text primary key, dimensions integer not null);
       create table if not exists vector_serving_alias (
         only_row integer primary key check (only_row = 1), feature_set_id text not null)`,
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
      this.ensureKeywordIndex(featureSet.id);
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
      createKeywordIndex(this.database, featureSet.id);
      this.database
        .prepare('insert into vector_collections (feature_set_id, dimensions) values (?, ?)')
        .run(featureSet.id, dimensions);
    })();
    this.dimensions.set(featureSet.id, dimensions);
    this.keywordIndexes.add(featureSet.id);
  }

  async upsert(featureSetId: string, points: readonly VectorPoint[]): Promise<void> {
    const dimensions = this.requireCollection(featureSetId);
    this.ensureKeywordIndex(featureSetId);
    const table = tableName(featureSetId);
    const { index, rows } = keywordTableNames(featureSetId);
    const remove = this.database.prepare(`delete from ${table} where id = ?`);
    const insert = this.database.prepare(
      `insert into ${table} (id, embedding, author_id, platform, category, document_id, chunk_index, payload)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const removeKeywords = this.database.prepare(
      `delete from ${index} where rowid = (select entry from ${rows} where id = ?)`,
    );
    const removeRow = this.database.prepare(`delete from ${rows} where id = ?`);
    const insertRow = this.database.prepare(
      `insert into ${rows} (id, author_id, platform, category, document_id) values (?, ?, ?, ?, ?)`,
    );
    const insertKeywords = this.database.prepare(
      `insert into ${index} (rowid, text, title) values (?, ?, ?)`,
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
        removeKeywords.run(point.id);
        removeRow.run(point.id);
        const { lastInsertRowid } = insertRow.run(
          point.id,
          payload.authorId,
          payload.platform,
          payload.category,
          payload.documentId,
        );
        insertKeywords.run(lastInsertRowid, payload.text, payload.title);
      }
    })();
  }

  async deleteByDocument(featureSetId: string, documentId: string): Promise<number> {
    if (this.collectionDimensions(featureSetId) === null) return 0;
    this.ensureKeywordIndex(featureSetId);
    const { index, rows } = keywordTableNames(featureSetId);
    return this.database.transaction(() => {
      this.database
        .prepare(`delete from ${index} where rowid in (select entry from ${rows} where document_id = ?)`)
        .run(documentId);
      this.database.prepare(`delete from ${rows} where document_id = ?`).run(documentId);
      return this.database
        .prepare(`delete from ${tableName(featureSetId)} where document_id = ?`)
        .run(documentId).changes;
    })();
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
    assertK(options.k);
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

  async keywordSearch(
    featureSetId: string,
    query: string,
    options: { k: number; filter?: VectorFilter },
  ): Promise<VectorHit[]> {
    this.requireCollection(featureSetId);
    assertK(options.k);
    this.ensureKeywordIndex(featureSetId);
    const match = toFts5Query(query);
    const where = whereClause(options.filter, 'point.');
    if (match === null || !where) return [];
    const { index, rows } = keywordTableNames(featureSetId);
    // Rank inside the index first; only the k best are joined to their payloads.
    const ranked = this.database.prepare(
      `select best.id as id, best.rank as rank, vector.payload as payload
       from (select point.id as id, bm25(${index}, ${bm25Weights}) as rank
             from ${index} join ${rows} as point on point.entry = ${index}.rowid
             where ${index} match ?${where.clause ? ` and ${where.clause}` : ''}
             order by rank limit ?) as best
       join ${tableName(featureSetId)} as vector on vector.id = best.id
       order by best.rank`,
    );
    const hits = ranked.all(match, ...where.values, options.k) as {
      id: string;
      rank: number;
      payload: string;
    }[];
    // FTS5's bm25() is negative, lower is better; the port wants higher-is-better.
    return hits.map((hit) => ({
      id: hit.id,
      score: -hit.rank,
      payload: ChunkPayload.parse(JSON.parse(hit.payload)),
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
    const { index, rows } = keywordTableNames(featureSetId);
    this.database.transaction(() => {
      this.database.exec(`drop table if exists ${tableName(featureSetId)}`);
      this.database.exec(`drop table if exists ${index}`);
      this.database.exec(`drop table if exists ${rows}`);
      this.database.prepare('delete from vector_collections where feature_set_id = ?').run(featureSetId);
      // Like a Qdrant alias, the serving alias goes with the collection it points at.
      this.database.prepare('delete from vector_serving_alias where feature_set_id = ?').run(featureSetId);
    })();
    this.dimensions.delete(featureSetId);
    this.keywordIndexes.delete(featureSetId);
  }

  async setServingFeatureSet(featureSetId: string): Promise<void> {
    this.requireCollection(featureSetId);
    this.database
      .prepare(
        `insert into vector_serving_alias (only_row, feature_set_id) values (1, ?)
         on conflict (only_row) do update set feature_set_id = excluded.feature_set_id`,
      )
      .run(featureSetId);
  }

  async servingFeatureSet(): Promise<string | null> {
    const row = this.database.prepare('select feature_set_id from vector_serving_alias').get() as
      | { feature_set_id: string }
      | undefined;
    return row?.feature_set_id ?? null;
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

  /**
   * Collections made before keyword search existed have vectors but no keyword index: build it
   * from the stored payloads. Immediate mode takes the write lock first, so when two processes
   * open the same old collection only one of them fills the index.
   */
  private ensureKeywordIndex(featureSetId: string): void {
    if (this.keywordIndexes.has(featureSetId)) return;
    const { index } = keywordTableNames(featureSetId);
    this.database
      .transaction(() => {
        const exists = this.database
          .prepare("select 1 from sqlite_master where type = 'table' and name = ?")
          .get(index);
        if (exists) return;
        createKeywordIndex(this.database, featureSetId);
        fillKeywordIndex(this.database, featureSetId, tableName(featureSetId));
      })
      .immediate();
    this.keywordIndexes.add(featureSetId);
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

function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}
