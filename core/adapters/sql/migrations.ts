import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

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
  '0002_datasets_model_registry': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('datasets')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('feature_set_id', 'text', (column) => column.notNull())
        .addColumn('recipe', 'text', (column) => column.notNull())
        .addColumn('source_document_ids', 'text', (column) => column.notNull())
        .addColumn('sizes', 'text', (column) => column.notNull())
        .addColumn('dropped', 'text', (column) => column.notNull())
        .addColumn('usage', 'text')
        .addColumn('artifact_key', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('model_versions')
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('backend', 'text', (column) => column.notNull())
        .addColumn('base_model', 'text')
        .addColumn('hyperparameters', 'text', (column) => column.notNull())
        .addColumn('dataset_id', 'text')
        .addColumn('feature_set_id', 'text')
        .addColumn('parent_version', 'integer')
        .addColumn('metrics', 'text', (column) => column.notNull())
        .addColumn('loss_curve', 'text', (column) => column.notNull())
        .addColumn('artifact', 'text', (column) => column.notNull())
        .addColumn('loss_curve_key', 'text')
        .addColumn('job_id', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('created_by', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('model_versions_pk', ['name', 'version'])
        .execute();
      // One version per fine-tune job: a job that is retried after a crash cannot register twice.
      await db.schema
        .createIndex('model_versions_job')
        .unique()
        .on('model_versions')
        .column('job_id')
        .execute();
      await db.schema
        .createTable('model_aliases')
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('alias', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addColumn('updated_by', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('model_aliases_pk', ['name', 'alias'])
        .execute();
      await db.schema
        .createTable('alias_events')
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('alias', 'text', (column) => column.notNull())
        .addColumn('seq', 'bigint', (column) => column.notNull())
        .addColumn('from_version', 'integer')
        .addColumn('to_version', 'integer')
        .addColumn('moved_by', 'text', (column) => column.notNull())
        .addColumn('reason', 'text')
        .addColumn('at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('alias_events_pk', ['name', 'alias', 'seq'])
        .execute();
    },
  },
  '0003_request_logs': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('request_logs')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('route', 'text', (column) => column.notNull())
        .addColumn('status', 'integer', (column) => column.notNull())
        .addColumn('model', 'text')
        .addColumn('feature_set_id', 'text')
        .addColumn('question', 'text', (column) => column.notNull())
        .addColumn('filters', 'text', (column) => column.notNull())
        .addColumn('retrieved', 'text', (column) => column.notNull())
        .addColumn('timings', 'text', (column) => column.notNull())
        .addColumn('prompt_tokens', 'integer', (column) => column.notNull())
        .addColumn('completion_tokens', 'integer', (column) => column.notNull())
        .addColumn('duration_ms', 'double precision', (column) => column.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('request_logs_at').on('request_logs').column('at').execute();
    },
  },
  '0004_outbox': {
    async up(db: Kysely<unknown>) {
      // Change data capture: one row per created or changed document, written in the document's
      // own transaction and drained onto the job queue by a relay (core/outbox/).
      await db.schema
        .createTable('outbox')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('topic', 'text', (column) => column.notNull())
        .addColumn('aggregate_id', 'text', (column) => column.notNull())
        .addColumn('content_hash', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('job_id', 'text')
        .addColumn('claim', 'text')
        .addColumn('claimed_until', 'text')
        .addColumn('drained_at', 'text')
        .execute();
      // Partial: relays only ever look for what is not drained yet, which stays small.
      await db.schema
        .createIndex('outbox_pending')
        .on('outbox')
        .columns(['topic', 'id'])
        .where(sql.ref('drained_at'), 'is', null)
        .execute();
      await db.schema.createIndex('outbox_job').on('outbox').column('job_id').execute();
    },
  },
  '0005_outbox_held': {
    async up(db: Kysely<unknown>) {
      // Changes written by `twin crawl --no-features`: no relay builds them; a feature build that
      // covers their documents takes them (`twin features build`).
      await db.schema.alterTable('outbox').addColumn('held_at', 'text').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
