import { QdrantClientResourceExhaustedError, QdrantClientTimeoutError } from '@qdrant/js-client-rest';
import { z } from 'zod';
import { NotFoundError, ServiceError, TwinError, ValidationError } from '../../errors.ts';
import { ErrorBody } from './qdrant-responses.ts';

/** What the client throws for a non-2xx answer (openapi-typescript-fetch's ApiError). */
const HttpFailure = z.object({ status: z.number().int(), data: z.unknown() });

/**
 * What client 1.18.0 throws when a 429's Retry-After is not a number (an HTTP date from a proxy):
 * its own unexported `CustomError`, which would otherwise read as an unreachable server.
 */
const unreadableRetryAfter = /^Invalid retryAfter value: /;

export type QdrantCallContext = {
  url: string;
  operation: string;
  timeoutMs: number;
  /** Why a rate-limited request was not tried again, added to the message. */
  gaveUp?: string;
};

/**
 * How long Qdrant asked us to wait before sending a request again, or null when it did not ask:
 * a 429 with Retry-After, which the client turns into `QdrantClientResourceExhaustedError`.
 * Client 1.18.0 keeps only the header's first character (`headers.get('retry-after')?.[0]`), so
 * a wait of 10 s or more reads as 1–9 s; the attempts then come early, and after the last one the
 * error goes to the caller, still retryable. Qdrant writes whole seconds, so shorter waits are exact.
 */
export function retryAfterMs(error: unknown): number | null {
  if (!(error instanceof QdrantClientResourceExhaustedError)) return null;
  return error.retry_after * 1000;
}

/**
 * Turns whatever the Qdrant client threw into one of our errors, naming the server and the
 * operation: 404 → NotFoundError; 400/409/422 (the server refused the request) → ValidationError;
 * 408 (the server's own timeout), 429 with Retry-After and 5xx → retryable ServiceError; client
 * timeouts and unreachable servers → retryable ServiceError.
 */
export function toTwinError(error: unknown, context: QdrantCallContext): TwinError {
  if (error instanceof TwinError) return error;
  const where = `Qdrant at ${context.url}`;
  const gaveUp = context.gaveUp ? `; ${context.gaveUp}` : '';
  if (error instanceof QdrantClientTimeoutError) {
    return new ServiceError(`${where} did not answer ${context.operation} within ${context.timeoutMs} ms`, {
      cause: error,
      retryable: true,
    });
  }
  if (error instanceof QdrantClientResourceExhaustedError) {
    // The client keeps neither the status nor Qdrant's message, only the wait it asked for.
    return new ServiceError(
      `${where} is rate-limiting ${context.operation} (HTTP 429) and asked to retry after ${error.retry_after} s${gaveUp}`,
      { cause: error, retryable: true },
    );
  }
  if (error instanceof Error && unreadableRetryAfter.test(error.message)) {
    return new ServiceError(
      `${where} is rate-limiting ${context.operation} (HTTP 429) with a Retry-After that is not a number of seconds (${error.message})`,
      { cause: error, retryable: true },
    );
  }
  const failure = HttpFailure.safeParse(error);
  if (failure.success) return httpError(failure.data, where, context.operation, error);
  // Undici reports refused connections, resets and DNS failures as `TypeError: fetch failed`.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = cause && 'code' in cause ? String(cause.code) : undefined;
  const reason = code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new ServiceError(`cannot reach ${where} for ${context.operation}: ${reason}`, {
    cause: error,
    retryable: true,
  });
}

function httpError(
  { status, data }: { status: number; data: unknown },
  where: string,
  operation: string,
  error: unknown,
): TwinError {
  const body = ErrorBody.safeParse(data);
  const detail = body.success
    ? body.data.status.error
    : typeof data === 'string'
      ? data
      : JSON.stringify(data);
  if (status === 408) {
    return new ServiceError(`${where} timed out on ${operation} (HTTP 408): ${detail}`, {
      cause: error,
      retryable: true,
    });
  }
  const message = `${where} refused ${operation} (HTTP ${status}): ${detail}`;
  if (status === 404) return new NotFoundError(message, { cause: error });
  if (status === 400 || status === 409 || status === 422)
    return new ValidationError(message, { cause: error });
  if (status === 429) {
    // Qdrant leaves Retry-After out only when the request costs more than its rate limit can ever
    // allow ("request larger than rate limiter capacity"): sending it again cannot succeed.
    return new ServiceError(`${message} (no Retry-After: the request can never fit the rate limit)`, {
      cause: error,
      retryable: false,
    });
  }
  return new ServiceError(message, { cause: error, retryable: status >= 500 });
}

/**
 * Whether a failed collection creation was Qdrant saying the collection already exists, as 1.18
 * answers when another process created it first: HTTP 409 (`StorageError::AlreadyExists`) with
 * "Wrong input: Collection `<name>` already exists!". Any other refusal, a size over its limit or
 * a name it rejects, is not that race.
 */
export function isCollectionAlreadyExists(error: unknown, name: string): boolean {
  const failure = HttpFailure.safeParse(error instanceof TwinError ? error.cause : error);
  if (!failure.success || failure.data.status !== 409) return false;
  const body = ErrorBody.safeParse(failure.data.data);
  return body.success && body.data.status.error.includes(`Collection \`${name}\` already exists!`);
}

/** The same kind of error with a sentence added, for what happened after it. */
export function withNote(error: TwinError, note: string): TwinError {
  const message = `${error.message}; ${note}`;
  const options = { cause: error.cause, retryable: error.retryable };
  if (error instanceof NotFoundError) return new NotFoundError(message, options);
  if (error instanceof ValidationError) return new ValidationError(message, options);
  return new ServiceError(message, options);
}

/** A 2xx answer whose result does not have the expected shape. */
export function unexpectedResponse(context: { url: string; operation: string }, error: z.ZodError) {
  return new ServiceError(
    `Qdrant at ${context.url} answered ${context.operation} with an unexpected result: ${z.prettifyError(error)}`,
  );
}
