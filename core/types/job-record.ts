import { z } from 'zod';

export const JobStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatus>;

/** What the metadata store keeps about every job, whichever queue ran it. */
export const JobRecord = z.object({
  id: z.string().min(1),
  queue: z.string().min(1),
  name: z.string().min(1),
  status: JobStatus,
  payload: z.unknown(),
  result: z.unknown().nullable(),
  error: z.string().nullable(),
  progress: z.number().min(0).max(1),
  progressMessage: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobRecord = z.infer<typeof JobRecord>;

export const finishedStatuses: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
