import { ServiceError } from '../errors.ts';

/**
 * What went wrong: an error status (`answered`), an error event in a stream, a body that is not
 * what the API documents, no answer in time, no connection, or the caller's abort.
 */
export type OpenAIFailureKind =
  | 'answered'
  | 'stream-error'
  | 'invalid-body'
  | 'timeout'
  | 'unreachable'
  | 'aborted';

/** An OpenAI-compatible API answered with an error, or could not be reached. */
export class OpenAIApiError extends ServiceError {
  readonly kind: OpenAIFailureKind;
  /** HTTP status; null when no response arrived. */
  readonly status: number | null;
  /** OpenAI's machine-readable code (`invalid_api_key`, `rate_limit_exceeded`…), when given. */
  readonly code: string | null;
  /** The server's own error message, when it sent one. */
  readonly serverMessage: string | null;
  /** How long the server asked us to wait before trying again, when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: {
      kind: OpenAIFailureKind;
      status: number | null;
      serverMessage?: string | null;
      code?: string | null;
      retryable: boolean;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, { retryable: options.retryable, cause: options.cause });
    this.name = 'ServiceError';
    this.kind = options.kind;
    this.status = options.status;
    this.serverMessage = options.serverMessage ?? null;
    this.code = options.code ?? null;
    this.retryAfterMs = options.retryAfterMs;
  }
}
