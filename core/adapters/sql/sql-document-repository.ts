import type { Kysely, Selectable } from 'kysely';
import { TwinError } from '../../errors.ts';
import type {
  DocumentFilter,
  DocumentRepository,
  StoredDocument,
  UpsertOutcome,
} from '../../ports/document-repository.ts';
import { type Author, authorIdFromName } from '../../types/author.ts';
import { RawDocument } from '../../types/raw-document.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { byteOrder, type SqlDialect } from './sql-dialect.ts';
import { appendOutboxEvent } from './sql-outbox-repository.ts';

type DocumentRow = Selectable<DatabaseSchema['documents']>;

/** Documents and authors on any Kysely dialect. */
export class SqlDocumentRepository implements DocumentRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: SqlDialect,
  ) {}

  async upsertAuthor(name: string): Promise<Author> {
    const id = authorIdFromName(name);
    const now = new Date().toISOString();
    await this.db
      .insertInto('authors')
      .values({ id, name, created_at: now })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('authors')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return { id: row.id, name: row.name, createdAt: row.created_at };
  }

  async listAuthors(): Promise<Author[]> {
    const rows = await this.db
      .selectFrom('authors')
      .selectAll()
      .orderBy(byteOrder(this.dialect, 'id'))
      .execute();
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at }));
  }

  async upsert(
    document: RawDocument,
    seenAt: string,
    options: { holdChanges?: boolean } = {},
  ): Promise<UpsertOutcome> {
    const parsed = RawDocument.parse(document);
    return this.db.transaction().execute(async (transaction) => {
      // Insert first: with concurrent writers of the same new document, exactly one inserts and
      // the others fall through to the locked comparison below (a read-then-insert would let two
      // of them report `created`). The loop covers a document removed between the two steps.
      const row = toRow(parsed, seenAt, seenAt);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const inserted = await transaction
          .insertInto('documents')
          .values(row)
          .onConflict((conflict) => conflict.column('id').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
          await appendOutboxEvent(transaction, documentChanged(parsed, options.holdChanges === true));
          return 'created';
        }
        let existing = transaction.selectFrom('documents').select('content_hash').where('id', '=', parsed.id);
        if (this.dialect === 'postgres') existing = existing.forUpdate();
        const current = await existing.executeTakeFirst();
        if (!current) continue;
        if (current.content_hash === parsed.contentHash) {
          await transaction
            .updateTable('documents')
            .set({ last_seen_at: seenAt })
            .where('id', '=', parsed.id)
            .execute();
          return 'unchanged';
        }
        const { first_seen_at: _keepFirstSeen, ...changed } = row;
        await transaction.updateTable('documents').set(changed).where('id', '=', parsed.id).execute();
        await appendOutboxEvent(transaction, documentChanged(parsed, options.holdChanges === true));
        return 'updated';
      }
      throw new TwinError(`document ${parsed.id} keeps changing under concurrent writers; retry`, {
        retryable: true,
      });
    });
  }

  async get(id: string): Promise<StoredDocument | null> {
    const row = await this.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(
    filter: DocumentFilter = {},
    page: { limit?: number; offset?: number } = {},
  ): Promise<StoredDocument[]> {
    let query = this.filtered(filter)
      .selectAll()
      .orderBy(byteOrder(this.dialect, 'author_id'))
      // Descending, SQLite puts nulls last and PostgreSQL first: pin SQLite's order on both engines.
      .orderBy('published_at', (order) => order.desc().nullsLast())
      .orderBy(byteOrder(this.dialect, 'id'));
    if (page.limit !== undefined) query = query.limit(page.limit).offset(page.offset ?? 0);
    const rows = await query.execute();
    return rows.map(fromRow);
  }

  async count(filter: DocumentFilter = {}): Promise<number> {
    const row = await this.filtered(filter)
      .select((builder) => builder.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async remove(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (transaction) => {
      await transaction.deleteFrom('cleaned_documents').where('document_id', '=', id).execute();
      const result = await transaction.deleteFrom('documents').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  private filtered(filter: DocumentFilter) {
    let query = this.db.selectFrom('documents');
    if (filter.authorId) query = query.where('author_id', '=', filter.authorId);
    if (filter.platform) query = query.where('platform', '=', filter.platform);
    if (filter.category) query = query.where('category', '=', filter.category);
    if (filter.ids)
      query = filter.ids.length > 0 ? query.where('id', 'in', filter.ids) : query.where('id', '=', '');
    if (filter.notSeenSince) query = query.where('last_seen_at', '<', filter.notSeenSince);
    return query;
  }
}

function documentChanged(document: RawDocument, held: boolean) {
  return {
    topic: 'document.changed',
    aggregateId: document.id,
    contentHash: document.contentHash,
    held,
  } as const;
}

function toRow(document: RawDocument, firstSeenAt: string, seenAt: string): DatabaseSchema['documents'] {
  const repository = document.category === 'repository' ? document : null;
  return {
    id: document.id,
    author_id: document.authorId,
    platform: document.platform,
    category: document.category,
    source_url: document.sourceUrl,
    canonical_url: document.canonicalUrl,
    title: document.title,
    content: document.content,
    content_hash: document.contentHash,
    published_at: document.publishedAt,
    fetched_at: document.fetchedAt,
    metadata: JSON.stringify(document.metadata),
    repository: repository?.repository ?? null,
    path: repository?.path ?? null,
    language: repository?.language ?? null,
    first_seen_at: firstSeenAt,
    last_seen_at: seenAt,
    updated_at: seenAt,
  };
}

function fromRow(row: DocumentRow): StoredDocument {
  const base = {
    id: row.id,
    authorId: row.author_id,
    platform: row.platform,
    category: row.category,
    sourceUrl: row.source_url,
    canonicalUrl: row.canonical_url,
    title: row.title,
    content: row.content,
    contentHash: row.content_hash,
    publishedAt: row.published_at,
    fetchedAt: row.fetched_at,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    ...(row.category === 'repository'
      ? { repository: row.repository, path: row.path, language: row.language }
      : {}),
  };
  return {
    ...RawDocument.parse(base),
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    updatedAt: row.updated_at,
  };
}
