import { ValidationError } from '../errors.ts';
import { type JobName, jobContracts, type ParsedJobPayload, type QueueName } from './job-contracts.ts';

/**
 * A job's contract and its payload checked against it, or a ValidationError naming every bad field.
 * Queues call it when a job is enqueued and again when a worker takes it: a job can reach Redis
 * from another producer or an older version of the code.
 */
export function parseJobPayload<N extends JobName>(
  name: N | string,
  payload: unknown,
): { queue: QueueName; payload: ParsedJobPayload<N> } {
  const contract = jobContracts[name as N];
  if (!contract) throw new ValidationError(`unknown job ${name}`);
  const parsed = contract.payload.safeParse(payload);
  if (!parsed.success) {
    throw new ValidationError(
      `invalid ${name} payload: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  return { queue: contract.queue, payload: parsed.data as ParsedJobPayload<N> };
}
