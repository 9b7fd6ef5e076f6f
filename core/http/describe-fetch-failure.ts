import { errorMessage } from '../errors.ts';

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in its cause. */
export function describeFetchFailure(error: unknown): string {
  const message = errorMessage(error);
  if (error instanceof Error && error.cause !== undefined) return `${message} (${errorMessage(error.cause)})`;
  return message;
}
