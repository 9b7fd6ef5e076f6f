import type { Kysely, Selectable } from 'kysely';
import { NotFoundError } from '../../errors.ts';
import type { JobPatch, JobRepository } from '../../ports/job-repository.ts';
import { JobRecord, type JobStatus } from '../../types/job-record.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { nextSequence } from './next-sequence.ts';
import { byteOrder, type SqlDialect } from './sql-dialect.ts';

type JobRow = Selectable<DatabaseSchema['jobs']>;

/** Job records and their log lines on any Kysely dialect. */
export class SqlJobRepository implements JobRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: SqlDialect,
  ) {}

  async create(job: JobRecord): Promise<void> {
    const parsed = JobRecord.parse(job);
    await this.db
      .insertInto('jobs')
      .values({
        id: parsed.id,
        queue: parsed.queue,
        name: parsed.name,
        status: parsed.status,
        payload: JSON.stringify(parsed.payload ?? null),
        result: parsed.result === null ? null : JSON.stringify(parsed.result),
        error: parsed.error,
        progress: parsed.progress,
        progress_message: parsed.progressMessage,
        attempts: parsed.attempts,
        created_at: parsed.createdAt,
        started_at: parsed.startedAt,
        finished_at: parsed.finishedAt,
      })
      .execute();
  }

  async update(id: string, patch: JobPatch, options: { keepCompleted?: boolean } = {}): Promise<JobRecord> {
    const set: Partial<DatabaseSchema['jobs']> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.result !== undefined) set.result = patch.result === null ? null : JSON.stringify(patch.result);
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.progress !== undefined) set.progress = patch.progress;
    if (patch.progressMessage !== undefined) set.progress_message = patch.progressMessage;
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    if (patch.startedAt !== undefined) set.started_at = patch.startedAt;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    if (Object.keys(set).length > 0) {
      let update = this.db.updateTable('jobs').set(set).where('id', '=', id);
      if (options.keepCompleted) update = update.where('status', '!=', 'completed');
      await update.execute();
    }
    const job = await this.get(id);
    if (!job) throw new NotFoundError(`job ${id} not found`);
    return job;
  }

  async get(id: string): Promise<JobRecord | null> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(filter: { queue?: string; status?: JobStatus; limit?: number } = {}): Promise<JobRecord[]> {
    let query = this.db.selectFrom('jobs').selectAll();
    if (filter.queue) query = query.where('queue', '=', filter.queue);
    if (filter.status) query = query.where('status', '=', filter.status);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy(byteOrder(this.dialect, 'id'))
      .limit(filter.limit ?? 50)
      .execute();
    return rows.map(fromRow);
  }

  async appendLog(id: string, message: string): Promise<void> {
    // The clock-based key is per process: two processes logging for one job (a retry on another
    // worker) may pick the same one, so a clash just takes the next key.
    for (;;) {
      const inserted = await this.db
        .insertInto('job_logs')
        .values({ job_id: id, seq: nextSequence(), at: new Date().toISOString(), message })
        .onConflict((conflict) => conflict.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return;
    }
  }

  async logs(id: string): Promise<{ at: string; message: string }[]> {
    const rows = await this.db
      .selectFrom('job_logs')
      .select(['at', 'message'])
      .where('job_id', '=', id)
      .orderBy('seq')
      .execute();
    return rows;
  }
}

function fromRow(row: JobRow): JobRecord {
  return JobRecord.parse({
    id: row.id,
    queue: row.queue,
    name: row.name,
    status: row.status,
    payload: JSON.parse(row.payload),
    result: row.result === null ? null : JSON.parse(row.result),
    error: row.error,
    progress: Number(row.progress),
    progressMessage: row.progress_message,
    attempts: Number(row.attempts),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  });
}
