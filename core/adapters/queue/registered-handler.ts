import type { JobName } from '../../jobs/job-contracts.ts';
import { parseJobPayload } from '../../jobs/parse-job-payload.ts';
import type { JobContext, JobHandler } from '../../ports/job-queue.ts';

/** A handler as a queue keeps it: takes any payload, which it checks against its job's contract first. */
export type RegisteredHandler = (payload: unknown, context: JobContext) => Promise<unknown>;

/**
 * Binds a typed handler to its job's payload contract, so a queue can keep handlers of every job in
 * one map and still hand each one exactly the parsed payload it declares.
 */
export function registeredHandler<N extends JobName>(name: N, handler: JobHandler<N>): RegisteredHandler {
  return (payload, context) => handler(parseJobPayload<N>(name, payload).payload, context);
}
