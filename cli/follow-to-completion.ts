import { TwinError } from '../core/errors.ts';
import type { JobRecord } from '../core/types/job-record.ts';
import { followJob } from './follow-job.ts';
import type { Runtime } from './runtime.ts';

/**
 * Follows a job to its end and returns its record when it completed; a failed or cancelled job
 * throws, saying what it was (`what`), its status and its error.
 */
export async function followToCompletion(
  jobId: string,
  runtime: Pick<Runtime, 'metadata' | 'queue'>,
  options: { label: string; what: string },
): Promise<JobRecord> {
  const record = await followJob(
    jobId,
    { jobs: runtime.metadata.jobs, queue: runtime.queue },
    { label: options.label },
  );
  if (record.status !== 'completed')
    throw new TwinError(`${options.what} ${record.status}: ${record.error ?? ''}`);
  return record;
}
