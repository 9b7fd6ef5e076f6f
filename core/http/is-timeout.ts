import { errorMessage } from '../errors.ts';

/** A fetch that gave up on its AbortSignal.timeout (or whose socket timed out underneath). */
export function isTimeout(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'TimeoutError' || errorMessage(error.cause).includes('timeout'))
  );
}
