import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  ClaimOptions,
  OutboxBatch,
  OutboxFilter,
  OutboxRepository,
} from '../../ports/outbox-repository.ts';
import type { OutboxEvent, OutboxTopic } from '../../types/outbox-event.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { nextSequence } from './next-sequence.ts';
import type { SqlDialect } from './sql-dialect.ts';

type OutboxRow = Selectable<DatabaseSchema['outbox']>;

/** Most aggregate ids in one `in (…)` list. */
const listChunk = 500;

/** Adds an event inside the caller's transaction, so it commits or vanishes with the change itself. */
export async function appendOutboxEvent(
  transaction: Transaction<DatabaseSchema>,
  event: { topic: OutboxTopic; aggregateId: string; contentHash: string; held?: boolean },
): Promise<void> {
  const now = new Date().toISOString();
  await transaction
    .insertInto('outbox')
    .values({
      id: outboxId(),
      topic: event.topic,
      aggregate_id: event.aggregateId,
      content_hash: event.contentHash,
      created_at: now,
      job_id: null,
      claim: null,
      claimed_until: null,
      drained_at: null,
      held_at: event.held ? now : null,
    })
    .execute();
}

/**
 * The outbox on any Kysely dialect. A claim is a lease (claim token + expiry) committed on its own,
 * rather than a lock held while publishing: the embedded dialect has one connection, which a
 * transaction would hold while the queue records the job on that same connection. Each claim is a
 * single `update … returning`: atomic under SQLite's single writer, and on PostgreSQL its candidate
 * rows are picked `for update skip locked` so concurrent relays never wait on, nor share, a row.
 */
export class SqlOutboxRepository implements OutboxRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: SqlDialect,
  ) {}

  async claim(options: ClaimOptions): Promise<OutboxBatch | null> {
    const now = options.now ?? new Date();
    const nowText = now.toISOString();
    const until = new Date(now.getTime() + options.leaseMs).toISOString();
    const claim = randomUUID();
    // A batch that already has a job id may have been published before its relay died: take it
    // over whole, so the retry carries the same id and the queue dedupes it.
    for (;;) {
      const abandoned = await this.db
        .selectFrom('outbox')
        .select('job_id')
        .where('topic', '=', options.topic)
        .where('drained_at', 'is', null)
        .where('held_at', 'is', null)
        .where('job_id', 'is not', null)
        .where((builder) =>
          builder.or([builder('claimed_until', 'is', null), builder('claimed_until', '<', nowText)]),
        )
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!abandoned?.job_id) break;
      const rows = await this.db
        .updateTable('outbox')
        .set({ claim, claimed_until: until })
        .where('job_id', '=', abandoned.job_id)
        .where('drained_at', 'is', null)
        .where((builder) =>
          builder.or([builder('claimed_until', 'is', null), builder('claimed_until', '<', nowText)]),
        )
        .returningAll()
        .execute();
      // Empty: another relay took it over first; look again.
      if (rows.length > 0) return { jobId: abandoned.job_id, claim, events: sorted(rows) };
    }

    let candidates = this.db
      .selectFrom('outbox')
      .select('id')
      .where('topic', '=', options.topic)
      .where('drained_at', 'is', null)
      .where('held_at', 'is', null)
      .where('job_id', 'is', null)
      .where((builder) =>
        builder.or([builder('claimed_until', 'is', null), builder('claimed_until', '<', nowText)]),
      )
      .orderBy('id')
      .limit(options.limit);
    if (this.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('outbox')
      .set({ claim, claimed_until: until })
      .where('id', 'in', candidates)
      .returningAll()
      .execute();
    if (rows.length === 0) return null;
    const events = sorted(rows);
    const jobId = options.jobIdOf(events);
    // Recorded before publishing: from here on, whoever drains these events uses this id.
    await this.db.updateTable('outbox').set({ job_id: jobId }).where('claim', '=', claim).execute();
    return { jobId, claim, events: events.map((event) => ({ ...event, jobId })) };
  }

  async markDrained(batch: OutboxBatch, at: Date = new Date()): Promise<void> {
    // Matching on the claim: if our lease ran out and another relay took the batch over, it
    // publishes the same job id again (deduped) and marks the batch itself.
    await this.db
      .updateTable('outbox')
      .set({ drained_at: at.toISOString(), claim: null, claimed_until: null })
      .where('claim', '=', batch.claim)
      .where('drained_at', 'is', null)
      .execute();
  }

  async release(batch: OutboxBatch): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ claim: null, claimed_until: null })
      .where('claim', '=', batch.claim)
      .where('drained_at', 'is', null)
      .execute();
  }

  async list(filter: OutboxFilter = {}): Promise<OutboxEvent[]> {
    if (filter.aggregateIds && filter.aggregateIds.length > listChunk) {
      // Bounded statements: SQLite caps the number of bound parameters.
      const events: OutboxEvent[] = [];
      for (let start = 0; start < filter.aggregateIds.length; start += listChunk) {
        const aggregateIds = filter.aggregateIds.slice(start, start + listChunk);
        events.push(...(await this.list({ ...filter, aggregateIds })));
      }
      return events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    let query = this.db.selectFrom('outbox').selectAll();
    if (filter.pending === true) query = query.where('drained_at', 'is', null);
    if (filter.pending === false) query = query.where('drained_at', 'is not', null);
    if (filter.aggregateId) query = query.where('aggregate_id', '=', filter.aggregateId);
    if (filter.aggregateIds) {
      if (filter.aggregateIds.length === 0) return [];
      query = query.where('aggregate_id', 'in', [...filter.aggregateIds]);
    }
    if (filter.createdFrom) query = query.where('created_at', '>=', filter.createdFrom);
    const rows = await query.orderBy('id').execute();
    return rows.map(fromRow);
  }

  async takeHeld(options: {
    aggregateIds: readonly string[];
    writtenBy: string;
    jobId: string;
    at?: Date;
  }): Promise<number> {
    let taken = 0;
    const drainedAt = (options.at ?? new Date()).toISOString();
    for (let start = 0; start < options.aggregateIds.length; start += listChunk) {
      const result = await this.db
        .updateTable('outbox')
        .set({ drained_at: drainedAt, job_id: options.jobId })
        .where('held_at', 'is not', null)
        .where('drained_at', 'is', null)
        .where('created_at', '<=', options.writtenBy)
        .where('aggregate_id', 'in', options.aggregateIds.slice(start, start + listChunk))
        .executeTakeFirst();
      taken += Number(result.numUpdatedRows);
    }
    return taken;
  }

  async releaseHeld(): Promise<number> {
    const result = await this.db
      .updateTable('outbox')
      .set({ held_at: null })
      .where('held_at', 'is not', null)
      .where('drained_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async prune(drainedBefore: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('outbox')
      .where('drained_at', 'is not', null)
      .where('drained_at', '<', drainedBefore.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/**
 * Ids sort in write order: a clock-based sequence (strictly increasing within a process) padded
 * to a fixed width, plus a random tail so two processes never collide.
 */
function outboxId(): string {
  return `${String(nextSequence()).padStart(17, '0')}-${randomUUID().slice(0, 8)}`;
}

function sorted(rows: OutboxRow[]): OutboxEvent[] {
  return rows.map(fromRow).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function fromRow(row: OutboxRow): OutboxEvent {
  return {
    id: row.id,
    topic: row.topic as OutboxTopic,
    aggregateId: row.aggregate_id,
    contentHash: row.content_hash,
    createdAt: row.created_at,
    jobId: row.job_id,
    drainedAt: row.drained_at,
    heldAt: row.held_at,
  };
}
