import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';
import { errorMessage, ServiceError } from '../../core/errors.ts';

/**
 * Turns what a chat call threw into a ServiceError that names the endpoint and model, so "400:
 * model not found" points at the configuration line to fix. Cancellation is passed through as is.
 */
export function chatServiceError(
  error: unknown,
  endpoint: Pick<ChatEndpointConfig, 'baseUrl' | 'model'>,
  caller: string,
  signal?: AbortSignal,
): Error {
  if (signal?.aborted) return error instanceof Error ? error : new Error(String(error));
  const status = statusOf(error);
  const retryable = status === undefined || status === 408 || status === 429 || status >= 500;
  return new ServiceError(
    `${caller} failed at ${endpoint.baseUrl} (model ${endpoint.model})${status ? `, HTTP ${status}` : ''}: ${errorMessage(error)}`,
    { cause: error, retryable },
  );
}

/** The HTTP status, also when LangChain wrapped the client's error (context overflow keeps it in `cause`). */
function statusOf(error: unknown): number | undefined {
  for (
    let current = error, depth = 0;
    typeof current === 'object' && current !== null && depth < 5;
    depth += 1
  ) {
    const status = (current as { status?: unknown }).status;
    if (typeof status === 'number') return status;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
