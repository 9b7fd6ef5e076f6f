import { ValidationError } from '../../errors.ts';
import type { SqliteDatabase } from '../sqlite/open-sqlite-database.ts';

/** BM25 weights of the keyword index's columns (text, title): a title word counts half a text word. */
export const bm25Weights = '1.0, 0.5';

/**
 * A feature set's keyword index: a contentless FTS5 table (the text lives once, in the vector
 * payload) and a table whose `entry` is the index rowid, mapping it to the point id and holding
 * the filter columns. Upserts and deletes then reach index rows by key, never by scanning.
 */
export function keywordTableNames(featureSetId: string): { index: string; rows: string } {
  // Validated here too, because the names are inlined into SQL.
  if (!/^fs_[0-9a-f]{12}$/.test(featureSetId))
    throw new ValidationError(`invalid feature set id ${featureSetId}`);
  return { index: `keywords_${featureSetId}`, rows: `keyword_rows_${featureSetId}` };
}

export function createKeywordIndex(database: SqliteDatabase, featureSetId: string): void {
  const { index, rows } = keywordTableNames(featureSetId);
  database.exec(
    `create table if not exists ${rows} (
       entry integer primary key, id text not null unique,
       author_id text not null, platform text not null, category text not null, document_id text not null);
     create index if not exists ${rows}_document on ${rows} (document_id);
     create virtual table if not exists ${index} using fts5(
       text, title, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');`,
  );
}

/** Indexes every point already stored in `vectorTable` (for collections older than keyword search). */
export function fillKeywordIndex(database: SqliteDatabase, featureSetId: string, vectorTable: string): void {
  const { index, rows } = keywordTableNames(featureSetId);
  database.exec(
    `insert into ${rows} (id, author_id, platform, category, document_id)
       select id, author_id, platform, category, document_id from ${vectorTable};
     insert into ${index} (rowid, text, title)
       select point.entry, json_extract(vector.payload, '$.text'), json_extract(vector.payload, '$.title')
       from ${rows} as point join ${vectorTable} as vector on vector.id = point.id;`,
  );
}
