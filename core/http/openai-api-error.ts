import { ServiceError } from '../errors.ts';

/** An OpenAI-compatible API answered with an error, or could not be reached. */
export class OpenAIApiError extends ServiceError {
  /** HTTP status; null when no response arrived. */
  readonly status: number | null;
  /** OpenAI's machine-readable code (`invalid_api_key`, `rate_limit_exceeded`…), when given. */
  readonly code: string | null;
  /** How long the server asked us to wait before trying again, when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: {
      status: number | null;
      code?: string | null;
      retryable: boolean;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, { retryable: options.retryable, cause: options.cause });
    this.name = 'ServiceError';
    this.status = options.status;
    this.code = options.code ?? null;
    this.retryAfterMs = options.retryAfterMs;
  }
}
