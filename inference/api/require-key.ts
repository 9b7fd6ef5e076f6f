import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ApiEnv } from './api-env.ts';

/**
 * Bearer-key check. `always`: the route needs a key even when none is configured (admin routes
 * refuse everyone until an admin key is set); otherwise an empty key list leaves the route open.
 * Keys are compared in constant time.
 */
export function requireKey(
  keys: readonly string[],
  options: { always: boolean; role: string },
): MiddlewareHandler<ApiEnv> {
  const expected = keys.map((key) => Buffer.from(key));
  return async (context, next) => {
    if (expected.length === 0) {
      if (!options.always) return next();
      throw new HTTPException(403, {
        message: `${options.role} routes are disabled until server.adminKeys is configured`,
      });
    }
    const header = context.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match)
      throw new HTTPException(401, { message: `missing API key: send "Authorization: Bearer <key>"` });
    const key = (match[1] as string).trim();
    const given = Buffer.from(key);
    const ok = expected.some((key) => key.length === given.length && timingSafeEqual(key, given));
    if (!ok) throw new HTTPException(401, { message: 'invalid API key' });
    context.set('apiKey', key);
    return next();
  };
}
