import type { Kysely, Selectable, Transaction } from 'kysely';
import { NotFoundError, TwinError, ValidationError } from '../../errors.ts';
import type { ModelAlias, ModelRegistry, NewModelVersion } from '../../ports/model-registry.ts';
import { type AliasEvent, ModelVersion } from '../../types/model-version.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { byteOrder, type SqlDialect } from './sql-dialect.ts';

type VersionRow = Selectable<DatabaseSchema['model_versions']>;

const aliasName = /^[a-z][a-z0-9_-]{0,31}$/;

/** The model registry on any Kysely dialect; every alias move is one transaction with its audit row. */
export class SqlModelRegistry implements ModelRegistry {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: SqlDialect,
  ) {}

  async register(input: NewModelVersion): Promise<ModelVersion> {
    return this.db.transaction().execute(async (transaction) => {
      // Several workers may register at once. Each statement sees what others committed, so a
      // lost race on the (name, version) key or on the job id just reads again and retries.
      for (let attempt = 0; attempt < maxRaceRetries; attempt += 1) {
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
        const inserted = await transaction
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
          // No target: a clash on either unique key (version number, job id) means "lost a race".
          .onConflict((conflict) => conflict.doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return version;
      }
      throw new TwinError(`could not number a new version of ${input.name}: too many concurrent writers`, {
        retryable: true,
      });
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
    const rows = await query.orderBy(byteOrder(this.dialect, 'name')).orderBy('version', 'desc').execute();
    return rows.map(fromRow);
  }

  async updateMetrics(name: string, version: number, metrics: Record<string, number>): Promise<ModelVersion> {
    return this.db.transaction().execute(async (transaction) => {
      let query = transaction
        .selectFrom('model_versions')
        .select('metrics')
        .where('name', '=', name)
        .where('version', '=', version);
      // Read-merge-write: lock the row so two concurrent merges cannot lose each other's keys.
      if (this.dialect === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
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
    const rows = await query
      .orderBy(byteOrder(this.dialect, 'name'))
      .orderBy(byteOrder(this.dialect, 'alias'))
      .execute();
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
      for (let attempt = 0; attempt < maxRaceRetries; attempt += 1) {
        const current = await transaction
          .selectFrom('model_aliases')
          .select('version')
          .where('name', '=', move.name)
          .where('alias', '=', move.alias)
          .executeTakeFirst();
        const fromVersion = current ? Number(current.version) : null;
        if (move.expectedVersion !== undefined && move.expectedVersion !== fromVersion) {
          throw movedByOther(move, fromVersion);
        }
        const at = new Date().toISOString();
        // Compare-and-set in the write itself: it only applies if the alias still points where
        // we read it. On PostgreSQL a concurrent mover waits on the row (or key) and then finds
        // it changed, so exactly one of them wins; SQLite's single writer gives the same result.
        if (!(await this.swapAlias(transaction, move, fromVersion, at))) {
          if (move.expectedVersion !== undefined) throw movedByOther(move, null);
          continue;
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
        await appendAliasEvent(transaction, event);
        return event;
      }
      throw new TwinError(`${move.name}@${move.alias} keeps moving under us; retry`, { retryable: true });
    });
  }

  /** Points the alias at `move.toVersion` if it still points at `fromVersion`; false if it moved. */
  private async swapAlias(
    transaction: Transaction<DatabaseSchema>,
    move: { name: string; alias: string; toVersion: number | null; movedBy: string },
    fromVersion: number | null,
    at: string,
  ): Promise<boolean> {
    if (fromVersion === null) {
      if (move.toVersion === null) return true;
      const inserted = await transaction
        .insertInto('model_aliases')
        .values({
          name: move.name,
          alias: move.alias,
          version: move.toVersion,
          updated_at: at,
          updated_by: move.movedBy,
        })
        .onConflict((conflict) => conflict.columns(['name', 'alias']).doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    }
    if (move.toVersion === null) {
      const deleted = await transaction
        .deleteFrom('model_aliases')
        .where('name', '=', move.name)
        .where('alias', '=', move.alias)
        .where('version', '=', fromVersion)
        .executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    }
    const updated = await transaction
      .updateTable('model_aliases')
      .set({ version: move.toVersion, updated_at: at, updated_by: move.movedBy })
      .where('name', '=', move.name)
      .where('alias', '=', move.alias)
      .where('version', '=', fromVersion)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0;
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

const maxRaceRetries = 20;

function movedByOther(
  move: { name: string; alias: string; expectedVersion?: number | null },
  now: number | null,
) {
  return new ValidationError(
    `${move.name}@${move.alias} points at ${now ?? 'something else'}, not ${move.expectedVersion ?? 'nothing'}: someone else moved it; retry`,
  );
}

/**
 * Audit rows are numbered per alias, one past the last. The alias row's lock orders concurrent
 * moves, so numbers follow the order moves took effect (a clock-based key would not, across
 * processes); the conflict guard covers the one move that locks nothing: clearing an unset alias.
 */
async function appendAliasEvent(transaction: Transaction<DatabaseSchema>, event: AliasEvent): Promise<void> {
  for (let attempt = 0; attempt < maxRaceRetries; attempt += 1) {
    const last = await transaction
      .selectFrom('alias_events')
      .select((builder) => builder.fn.max('seq').as('seq'))
      .where('name', '=', event.name)
      .where('alias', '=', event.alias)
      .executeTakeFirst();
    const inserted = await transaction
      .insertInto('alias_events')
      .values({
        name: event.name,
        alias: event.alias,
        seq: Number(last?.seq ?? 0) + 1,
        from_version: event.fromVersion,
        to_version: event.toVersion,
        moved_by: event.movedBy,
        reason: event.reason,
        at: event.at,
      })
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return;
  }
  throw new TwinError(`could not record the move of ${event.name}@${event.alias}; retry`, {
    retryable: true,
  });
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
