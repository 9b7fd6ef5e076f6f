import type { Kysely, Selectable } from 'kysely';
import type {
  CleanedDocumentFilter,
  FeatureSetRepository,
  ProcessedDocument,
} from '../../ports/feature-set-repository.ts';
import { CleanedDocument } from '../../types/cleaned-document.ts';
import { FeatureSet, FeatureSetSpec, type FeatureSetStats } from '../../types/feature-set.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { byteOrder, type SqlDialect } from './sql-dialect.ts';

type CleanedRow = Selectable<DatabaseSchema['cleaned_documents']>;

/** Feature sets and their cleaned documents on any Kysely dialect. */
export class SqlFeatureSetRepository implements FeatureSetRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: SqlDialect,
  ) {}

  async register(featureSet: FeatureSet): Promise<FeatureSet> {
    const parsed = FeatureSet.parse(featureSet);
    await this.db
      .insertInto('feature_sets')
      .values({ id: parsed.id, spec: JSON.stringify(parsed.spec), created_at: parsed.createdAt })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    const stored = await this.get(parsed.id);
    if (!stored) throw new Error(`feature set ${parsed.id} vanished right after it was registered`);
    return stored;
  }

  async get(id: string): Promise<FeatureSet | null> {
    const row = await this.db.selectFrom('feature_sets').selectAll().where('id', '=', id).executeTakeFirst();
    return row
      ? { id: row.id, spec: FeatureSetSpec.parse(JSON.parse(row.spec)), createdAt: row.created_at }
      : null;
  }

  async list(): Promise<FeatureSetStats[]> {
    const rows = await this.db
      .selectFrom('feature_sets')
      .leftJoin('cleaned_documents', 'cleaned_documents.feature_set_id', 'feature_sets.id')
      .select((builder) => [
        'feature_sets.id',
        'feature_sets.spec',
        'feature_sets.created_at',
        builder.fn.count<number>('cleaned_documents.document_id').as('documents'),
        builder.fn
          .coalesce(builder.fn.sum<number>('cleaned_documents.chunk_count'), builder.lit(0))
          .as('chunks'),
        builder.fn.max('cleaned_documents.cleaned_at').as('updated_at'),
      ])
      .groupBy(['feature_sets.id', 'feature_sets.spec', 'feature_sets.created_at'])
      .orderBy('feature_sets.created_at')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      spec: FeatureSetSpec.parse(JSON.parse(row.spec)),
      createdAt: row.created_at,
      documents: Number(row.documents),
      chunks: Number(row.chunks),
      updatedAt: row.updated_at ?? null,
    }));
  }

  async getProcessed(featureSetId: string, documentId: string): Promise<ProcessedDocument | null> {
    const row = await this.db
      .selectFrom('cleaned_documents')
      .select(['document_id', 'source_hash', 'chunk_count', 'cleaned_at'])
      .where('feature_set_id', '=', featureSetId)
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    return row
      ? {
          documentId: row.document_id,
          sourceHash: row.source_hash,
          chunkCount: row.chunk_count,
          processedAt: row.cleaned_at,
        }
      : null;
  }

  async saveCleaned(document: CleanedDocument, chunkCount: number): Promise<void> {
    const parsed = CleanedDocument.parse(document);
    const row = {
      feature_set_id: parsed.featureSetId,
      document_id: parsed.documentId,
      author_id: parsed.authorId,
      platform: parsed.platform,
      category: parsed.category,
      url: parsed.url,
      title: parsed.title,
      text: parsed.text,
      source_hash: parsed.sourceHash,
      published_at: parsed.publishedAt,
      cleaned_at: parsed.cleanedAt,
      chunk_count: chunkCount,
    };
    await this.db
      .insertInto('cleaned_documents')
      .values(row)
      .onConflict((conflict) => conflict.columns(['feature_set_id', 'document_id']).doUpdateSet(row))
      .execute();
  }

  async getCleaned(featureSetId: string, documentId: string): Promise<CleanedDocument | null> {
    const row = await this.db
      .selectFrom('cleaned_documents')
      .selectAll()
      .where('feature_set_id', '=', featureSetId)
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async listCleaned(featureSetId: string, filter: CleanedDocumentFilter = {}): Promise<CleanedDocument[]> {
    let query = this.db
      .selectFrom('cleaned_documents')
      .selectAll()
      .where('feature_set_id', '=', featureSetId);
    if (filter.authorId) query = query.where('author_id', '=', filter.authorId);
    if (filter.platform) query = query.where('platform', '=', filter.platform);
    if (filter.category) query = query.where('category', '=', filter.category);
    if (filter.ids) {
      query =
        filter.ids.length > 0
          ? query.where('document_id', 'in', filter.ids)
          : query.where('document_id', '=', '');
    }
    const rows = await query.orderBy(byteOrder(this.dialect, 'document_id')).execute();
    return rows.map(fromRow);
  }

  async removeDocument(featureSetId: string | null, documentId: string): Promise<void> {
    let query = this.db.deleteFrom('cleaned_documents').where('document_id', '=', documentId);
    if (featureSetId) query = query.where('feature_set_id', '=', featureSetId);
    await query.execute();
  }

  async featureSetsOf(documentId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('cleaned_documents')
      .select('feature_set_id')
      .where('document_id', '=', documentId)
      .execute();
    return rows.map((row) => row.feature_set_id);
  }
}

function fromRow(row: CleanedRow): CleanedDocument {
  return CleanedDocument.parse({
    documentId: row.document_id,
    featureSetId: row.feature_set_id,
    authorId: row.author_id,
    platform: row.platform,
    category: row.category,
    url: row.url,
    title: row.title,
    text: row.text,
    sourceHash: row.source_hash,
    publishedAt: row.published_at,
    cleanedAt: row.cleaned_at,
  });
}
