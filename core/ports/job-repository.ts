import type { JobRecord, JobStatus } from '../types/job-record.ts';

export type JobPatch = Partial<Omit<JobRecord, 'id' | 'queue' | 'name' | 'createdAt' | 'payload'>>;

/** Job records: what `twin jobs` and the HTTP API show, whatever queue engine ran the job. */
export interface JobRepository {
  create(job: JobRecord): Promise<void>;
  /**
   * Applies the patch and returns the record. With `keepCompleted`, a job already completed is
   * left as it is (atomically): the first completed result wins over a redundant rerun's writes.
   */
  update(id: string, patch: JobPatch, options?: { keepCompleted?: boolean }): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | null>;
  list(filter?: { queue?: string; status?: JobStatus; limit?: number }): Promise<JobRecord[]>;
  appendLog(id: string, message: string): Promise<void>;
  logs(id: string): Promise<{ at: string; message: string }[]>;
}
