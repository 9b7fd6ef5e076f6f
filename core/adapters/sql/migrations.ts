import type { Kysely, Migration, MigrationProvider } from 'kysely';

/**
 * Schema migrations, written with Kysely's schema builder so the same list runs on SQLite and
 * PostgreSQL. Append new migrations; never edit one that has shipped.
 */
const migrations: Record<string, Migration> = {
  '0001_warehouse_features_jobs': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('authors')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('documents')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('author_id', 'text', (column) => column.notNull().references('authors.id'))
        .addColumn('platform', 'text', (column) => column.notNull())
        .addColumn('category', 'text', (column) => column.notNull())
        .addColumn('source_url', 'text', (column) => column.notNull())
        .addColumn('canonical_url', 'text')
        .addColumn('title', 'text', (column) => column.notNull())
        .addColumn('content', 'text', (column) => column.notNull())
        .addColumn('content_hash', 'text', (column) => column.notNull())
        .addColumn('published_at', 'text')
        .addColumn('fetched_at', 'text', (column) => column.notNull())
        .addColumn('metadata', 'text', (column) => column.notNull())
        .addColumn('repository', 'text')
        .addColumn('path', 'text')
        .addColumn('language', 'text')
        .addColumn('first_seen_at', 'text', (column) => column.notNull())
        .addColumn('last_seen_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('documents_author')
        .on('documents')
        .columns(['author_id', 'platform'])
        .execute();
      await db.schema
        .createTable('feature_sets')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('spec', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('cleaned_documents')
        .addColumn('feature_set_id', 'text', (column) => column.notNull().references('feature_sets.id'))
        .addColumn('document_id', 'text', (column) => column.notNull())
        .addColumn('author_id', 'text', (column) => column.notNull())
        .addColumn('platform', 'text', (column) => column.notNull())
        .addColumn('category', 'text', (column) => column.notNull())
        .addColumn('url', 'text', (column) => column.notNull())
        .addColumn('title', 'text', (column) => column.notNull())
        .addColumn('text', 'text', (column) => column.notNull())
        .addColumn('source_hash', 'text', (column) => column.notNull())
        .addColumn('published_at', 'text')
        .addColumn('cleaned_at', 'text', (column) => column.notNull())
        .addColumn('chunk_count', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('cleaned_documents_pk', ['feature_set_id', 'document_id'])
        .execute();
      await db.schema
        .createIndex('cleaned_documents_document')
        .on('cleaned_documents')
        .column('document_id')
        .execute();
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('queue', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('payload', 'text', (column) => column.notNull())
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('progress', 'double precision', (column) => column.notNull())
        .addColumn('progress_message', 'text')
        .addColumn('attempts', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('jobs_queue_status').on('jobs').columns(['queue', 'status']).execute();
      await db.schema
        .createTable('job_logs')
        .addColumn('job_id', 'text', (column) => column.notNull())
        .addColumn('seq', 'bigint', (column) => column.notNull())
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('message', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('job_logs_pk', ['job_id', 'seq'])
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
