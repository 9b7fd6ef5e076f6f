import type { Kysely, Selectable } from 'kysely';
import { NotFoundError, ValidationError } from '../../errors.ts';
import type { ModelAlias, ModelRegistry, NewModelVersion } from '../../ports/model-registry.ts';
import { type AliasEvent, ModelVersion } from '../../types/model-version.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { nextSequence } from './next-sequence.ts';

type VersionRow = Selectable<DatabaseSchema['model_versions']>;

const aliasName = /^[a-z][a-z0-9_-]{0,31}$/;

/** The model registry on any Kysely dialect; every alias move is one transaction with its audit row. */
export class SqlModelRegistry implements ModelRegistry {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async register(input: NewModelVersion): Promise<ModelVersion> {
    return this.db.transaction().execute(async (transaction) => {
      if (input.jobId) {
        const existing = await transaction
          .selectFrom('model_versions')
          .selectAll()
          .where('job_id', '=', input.jobId)
          .executeTakeFirst();
        if (existing) return fromRow(existing);
      }
      const latest = await transaction
        .selectFrom('model_versions')
        .select((builder) => builder.fn.max('version').as('version'))
        .where('name', '=', input.name)
        .executeTakeFirst();
      const version = ModelVersion.parse({
        ...input,
        version: Number(latest?.version ?? 0) + 1,
        createdAt: new Date().toISOString(),
      });
      await transaction
        .insertInto('model_versions')
        .values({
          name: version.name,
          version: version.version,
          backend: version.backend,
          base_model: version.baseModel,
          hyperparameters: JSON.stringify(version.hyperparameters),
          dataset_id: version.datasetId,
          feature_set_id: version.featureSetId,
          parent_version: version.parentVersion,
          metrics: JSON.stringify(version.metrics),
          loss_curve: JSON.stringify(version.lossCurve),
          artifact: JSON.stringify(version.artifact),
          loss_curve_key: version.lossCurveKey,
          job_id: version.jobId,
          created_at: version.createdAt,
          created_by: version.createdBy,
        })
        .execute();
      return version;
    });
  }

  async get(name: string, version: number): Promise<ModelVersion | null> {
    const row = await this.db
      .selectFrom('model_versions')
      .selectAll()
      .where('name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(name?: string): Promise<ModelVersion[]> {
    let query = this.db.selectFrom('model_versions').selectAll();
    if (name) query = query.where('name', '=', name);
    const rows = await query.orderBy('name').orderBy('version', 'desc').execute();
    return rows.map(fromRow);
  }

  async updateMetrics(name: string, version: number, metrics: Record<string, number>): Promise<ModelVersion> {
    return this.db.transaction().execute(async (transaction) => {
      const row = await transaction
        .selectFrom('model_versions')
        .select('metrics')
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`model ${name}:${version} not found`);
      const merged = { ...(JSON.parse(row.metrics) as Record<string, number>), ...metrics };
      await transaction
        .updateTable('model_versions')
        .set({ metrics: JSON.stringify(merged) })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      // Read through the transaction: the embedded dialect has one connection, which it holds.
      const updated = await transaction
        .selectFrom('model_versions')
        .selectAll()
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirstOrThrow();
      return fromRow(updated);
    });
  }

  async getAlias(name: string, alias: string): Promise<ModelAlias | null> {
    const row = await this.db
      .selectFrom('model_aliases')
      .selectAll()
      .where('name', '=', name)
      .where('alias', '=', alias)
      .executeTakeFirst();
    return row
      ? {
          name: row.name,
          alias: row.alias,
          version: Number(row.version),
          updatedAt: row.updated_at,
          updatedBy: row.updated_by,
        }
      : null;
  }

  async listAliases(name?: string): Promise<ModelAlias[]> {
    let query = this.db.selectFrom('model_aliases').selectAll();
    if (name) query = query.where('name', '=', name);
    const rows = await query.orderBy('name').orderBy('alias').execute();
    return rows.map((row) => ({
      name: row.name,
      alias: row.alias,
      version: Number(row.version),
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    }));
  }

  async moveAlias(move: {
    name: string;
    alias: string;
    toVersion: number | null;
    movedBy: string;
    reason?: string | null;
    expectedVersion?: number | null;
  }): Promise<AliasEvent> {
    if (!aliasName.test(move.alias)) {
      throw new ValidationError(
        `invalid alias "${move.alias}": lower-case letters, digits, - and _, starting with a letter`,
      );
    }
    return this.db.transaction().execute(async (transaction) => {
      if (move.toVersion !== null) {
        const target = await transaction
          .selectFrom('model_versions')
          .select('version')
          .where('name', '=', move.name)
          .where('version', '=', move.toVersion)
          .executeTakeFirst();
        if (!target) throw new NotFoundError(`model ${move.name}:${move.toVersion} not found`);
      }
      const current = await transaction
        .selectFrom('model_aliases')
        .select('version')
        .where('name', '=', move.name)
        .where('alias', '=', move.alias)
        .executeTakeFirst();
      const fromVersion = current ? Number(current.version) : null;
      if (move.expectedVersion !== undefined && move.expectedVersion !== fromVersion) {
        throw new ValidationError(
          `${move.name}@${move.alias} points at ${fromVersion ?? 'nothing'}, not ${move.expectedVersion ?? 'nothing'}: someone else moved it; retry`,
        );
      }
      const at = new Date().toISOString();
      if (move.toVersion === null) {
        await transaction
          .deleteFrom('model_aliases')
          .where('name', '=', move.name)
          .where('alias', '=', move.alias)
          .execute();
      } else {
        const row = {
          name: move.name,
          alias: move.alias,
          version: move.toVersion,
          updated_at: at,
          updated_by: move.movedBy,
        };
        await transaction
          .insertInto('model_aliases')
          .values(row)
          .onConflict((conflict) => conflict.columns(['name', 'alias']).doUpdateSet(row))
          .execute();
      }
      const event: AliasEvent = {
        name: move.name,
        alias: move.alias,
        fromVersion,
        toVersion: move.toVersion,
        movedBy: move.movedBy,
        reason: move.reason ?? null,
        at,
      };
      await transaction
        .insertInto('alias_events')
        .values({
          name: event.name,
          alias: event.alias,
          seq: nextSequence(),
          from_version: event.fromVersion,
          to_version: event.toVersion,
          moved_by: event.movedBy,
          reason: event.reason,
          at: event.at,
        })
        .execute();
      return event;
    });
  }

  async aliasHistory(name: string, alias?: string): Promise<AliasEvent[]> {
    let query = this.db.selectFrom('alias_events').selectAll().where('name', '=', name);
    if (alias) query = query.where('alias', '=', alias);
    const rows = await query.orderBy('seq', 'desc').execute();
    return rows.map((row) => ({
      name: row.name,
      alias: row.alias,
      fromVersion: row.from_version === null ? null : Number(row.from_version),
      toVersion: row.to_version === null ? null : Number(row.to_version),
      movedBy: row.moved_by,
      reason: row.reason,
      at: row.at,
    }));
  }
}

function fromRow(row: VersionRow): ModelVersion {
  return ModelVersion.parse({
    name: row.name,
    version: Number(row.version),
    backend: row.backend,
    baseModel: row.base_model,
    hyperparameters: JSON.parse(row.hyperparameters),
    datasetId: row.dataset_id,
    featureSetId: row.feature_set_id,
    parentVersion: row.parent_version === null ? null : Number(row.parent_version),
    metrics: JSON.parse(row.metrics),
    lossCurve: JSON.parse(row.loss_curve),
    artifact: JSON.parse(row.artifact),
    lossCurveKey: row.loss_curve_key,
    jobId: row.job_id,
    createdAt: row.created_at,
    createdBy: row.created_by,
  });
}
