import { errorMessage } from '../../errors.ts';

/**
 * Why a pull failed, in words: a full disk is named as such (its errno hides in a download's
 * `cause`), anything else keeps its own message.
 */
export function describePullFailure(error: unknown, cacheDir: string): string {
  const code =
    (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code;
  return code === 'ENOSPC' ? `disk full writing under ${cacheDir}` : errorMessage(error);
}
