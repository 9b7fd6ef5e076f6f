import { QdrantClientTimeoutError } from '@qdrant/js-client-rest';
import { z } from 'zod';
import { NotFoundError, ServiceError, TwinError, ValidationError } from '../../errors.ts';
import { ErrorBody } from './qdrant-responses.ts';

/** What the client throws for a non-2xx answer (openapi-typescript-fetch's ApiError). */
const HttpFailure = z.object({ status: z.number().int(), data: z.unknown() });

/**
 * Turns whatever the Qdrant client threw into one of our errors, naming the server and the
 * operation: 404 → NotFoundError; 400/409/422 (the server refused the request) → ValidationError;
 * 429 and 5xx → retryable ServiceError; timeouts and unreachable servers → retryable ServiceError.
 */
export function toTwinError(error: unknown, context: { url: string; operation: string; timeoutMs: number }) {
  if (error instanceof TwinError) return error;
  const where = `Qdrant at ${context.url}`;
  if (error instanceof QdrantClientTimeoutError) {
    return new ServiceError(`${where} did not answer ${context.operation} within ${context.timeoutMs} ms`, {
      cause: error,
      retryable: true,
    });
  }
  const failure = HttpFailure.safeParse(error);
  if (failure.success) {
    const { status, data } = failure.data;
    const body = ErrorBody.safeParse(data);
    const detail = body.success
      ? body.data.status.error
      : typeof data === 'string'
        ? data
        : JSON.stringify(data);
    const message = `${where} refused ${context.operation} (HTTP ${status}): ${detail}`;
    if (status === 404) return new NotFoundError(message, { cause: error });
    if (status === 400 || status === 409 || status === 422)
      return new ValidationError(message, { cause: error });
    return new ServiceError(message, { cause: error, retryable: status === 429 || status >= 500 });
  }
  // Undici reports refused connections, resets and DNS failures as `TypeError: fetch failed`.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = cause && 'code' in cause ? String(cause.code) : undefined;
  const reason = code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new ServiceError(`cannot reach ${where} for ${context.operation}: ${reason}`, {
    cause: error,
    retryable: true,
  });
}

/** A 2xx answer whose result does not have the expected shape. */
export function unexpectedResponse(context: { url: string; operation: string }, error: z.ZodError) {
  return new ServiceError(
    `Qdrant at ${context.url} answered ${context.operation} with an unexpected result: ${z.prettifyError(error)}`,
  );
}
