import type { RequestLog } from '../types/request-log.ts';

/** The request log: what `twin monitor` summarises and samples evaluation questions from. */
export interface RequestLogRepository {
  record(log: RequestLog): Promise<void>;
  /** Newest first. */
  list(filter?: { since?: string; route?: string; limit?: number }): Promise<RequestLog[]>;
}
