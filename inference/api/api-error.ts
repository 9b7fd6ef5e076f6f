import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigError, NotFoundError, ServiceError, TwinError, ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';

/** OpenAI's error body: every route answers errors in this shape, so any OpenAI client can read them. */
export type ApiErrorBody = {
  error: { message: string; type: string; param: string | null; code: string | null };
};

export function errorBody(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
) {
  return { error: { message, type, param, code } } satisfies ApiErrorBody;
}

/** Maps our error classes to status codes in one place; nothing leaks a stack trace. */
export function handleError(error: Error, context: Context, logger: Logger): Response {
  const { status, type, code } = classify(error);
  if (status >= 500) logger.error('request failed', { path: context.req.path, error: error.message });
  const message = status >= 500 && !(error instanceof TwinError) ? 'internal server error' : error.message;
  if (error instanceof HTTPException && error.res) {
    const headers = new Headers(error.res.headers);
    headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(errorBody(message, type, code)), { status, headers });
  }
  return context.json(errorBody(message, type, code), status);
}

/** The status an error is answered with (for logs and metrics recorded outside the handler). */
export function statusOf(error: unknown): number {
  return error instanceof Error ? classify(error).status : 500;
}

function classify(error: Error): { status: ContentfulStatusCode; type: string; code: string | null } {
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    if (status === 401) return { status, type: 'invalid_request_error', code: 'invalid_api_key' };
    if (status === 403) return { status, type: 'invalid_request_error', code: 'forbidden' };
    if (status === 413) return { status, type: 'invalid_request_error', code: 'request_too_large' };
    if (status === 429) return { status, type: 'rate_limit_error', code: 'rate_limit_exceeded' };
    return { status, type: 'invalid_request_error', code: null };
  }
  if (error instanceof NotFoundError)
    return { status: 404, type: 'invalid_request_error', code: 'not_found' };
  if (error instanceof ValidationError)
    return { status: 400, type: 'invalid_request_error', code: 'invalid_value' };
  if (error instanceof ConfigError) return { status: 500, type: 'server_error', code: 'configuration' };
  if (error instanceof ServiceError) return { status: 502, type: 'server_error', code: 'upstream_error' };
  if (error instanceof SyntaxError)
    return { status: 400, type: 'invalid_request_error', code: 'invalid_json' };
  return { status: 500, type: 'server_error', code: null };
}
