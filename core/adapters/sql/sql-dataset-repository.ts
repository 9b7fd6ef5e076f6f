import type { Kysely, Selectable } from 'kysely';
import type { DatasetRepository } from '../../ports/dataset-repository.ts';
import { Dataset, type DatasetKind } from '../../types/dataset.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { byteOrder, type SqlDialect } from './sql-dialect.ts';

type DatasetRow = Selectable<DatabaseSchema['datasets']>;

/** Dataset records on any Kysely dialect. */
export class SqlDatasetRepository implements DatasetRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: SqlDialect,
  ) {}

  async save(dataset: Dataset): Promise<Dataset> {
    const parsed = Dataset.parse(dataset);
    await this.db
      .insertInto('datasets')
      .values({
        id: parsed.id,
        kind: parsed.recipe.kind,
        feature_set_id: parsed.recipe.featureSetId,
        recipe: JSON.stringify(parsed.recipe),
        source_document_ids: JSON.stringify(parsed.sourceDocumentIds),
        sizes: JSON.stringify(parsed.sizes),
        dropped: JSON.stringify(parsed.dropped),
        usage: parsed.usage ? JSON.stringify(parsed.usage) : null,
        artifact_key: parsed.artifactKey,
        created_at: parsed.createdAt,
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    return (await this.get(parsed.id)) as Dataset;
  }

  async get(id: string): Promise<Dataset | null> {
    const row = await this.db.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(filter: { featureSetId?: string; kind?: DatasetKind } = {}): Promise<Dataset[]> {
    let query = this.db.selectFrom('datasets').selectAll();
    if (filter.featureSetId) query = query.where('feature_set_id', '=', filter.featureSetId);
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    const rows = await query.orderBy('created_at', 'desc').orderBy(byteOrder(this.dialect, 'id')).execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: DatasetRow): Dataset {
  return Dataset.parse({
    id: row.id,
    recipe: JSON.parse(row.recipe),
    sourceDocumentIds: JSON.parse(row.source_document_ids),
    sizes: JSON.parse(row.sizes),
    dropped: JSON.parse(row.dropped),
    usage: row.usage ? JSON.parse(row.usage) : null,
    artifactKey: row.artifact_key,
    createdAt: row.created_at,
  });
}
