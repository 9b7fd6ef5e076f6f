import type { Kysely } from 'kysely';
import type { RequestLogRepository } from '../../ports/request-log-repository.ts';
import { RequestLog } from '../../types/request-log.ts';
import type { DatabaseSchema } from './database-schema.ts';
import { byteOrder, type SqlDialect } from './sql-dialect.ts';

/** Request logs on any Kysely dialect. */
export class SqlRequestLogRepository implements RequestLogRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: SqlDialect,
  ) {}

  async record(log: RequestLog): Promise<void> {
    const parsed = RequestLog.parse(log);
    await this.db
      .insertInto('request_logs')
      .values({
        id: parsed.id,
        at: parsed.at,
        route: parsed.route,
        status: parsed.status,
        model: parsed.model,
        feature_set_id: parsed.featureSetId,
        question: parsed.question,
        filters: JSON.stringify(parsed.filters),
        retrieved: JSON.stringify(parsed.retrieved),
        timings: JSON.stringify(parsed.timings),
        prompt_tokens: parsed.promptTokens,
        completion_tokens: parsed.completionTokens,
        duration_ms: parsed.durationMs,
        error: parsed.error,
      })
      .execute();
  }

  async list(filter: { since?: string; route?: string; limit?: number } = {}): Promise<RequestLog[]> {
    let query = this.db.selectFrom('request_logs').selectAll();
    if (filter.since) query = query.where('at', '>=', filter.since);
    if (filter.route) query = query.where('route', '=', filter.route);
    const rows = await query
      .orderBy('at', 'desc')
      .orderBy(byteOrder(this.dialect, 'id'))
      .limit(filter.limit ?? 10_000)
      .execute();
    return rows.map((row) =>
      RequestLog.parse({
        id: row.id,
        at: row.at,
        route: row.route,
        status: Number(row.status),
        model: row.model,
        featureSetId: row.feature_set_id,
        question: row.question,
        filters: JSON.parse(row.filters),
        retrieved: JSON.parse(row.retrieved),
        timings: JSON.parse(row.timings),
        promptTokens: Number(row.prompt_tokens),
        completionTokens: Number(row.completion_tokens),
        durationMs: Number(row.duration_ms),
        error: row.error,
      }),
    );
  }
}
