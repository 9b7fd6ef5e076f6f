import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';

/**
 * Fixed-window rate limit per API key (or per client address when no key is sent). In memory: one
 * server process; a scaled-out deployment puts its limit in front (a gateway) or in Redis.
 */
export function rateLimit(perMinute: number, now: () => number = Date.now): MiddlewareHandler {
  const windows = new Map<string, { start: number; count: number }>();
  return async (context, next) => {
    if (perMinute <= 0) return next();
    const key =
      (context.req.header('authorization') ?? '').replace(/^Bearer\s+/i, '') ||
      context.req.header('x-forwarded-for')?.split(',')[0]?.trim() ||
      'anonymous';
    const time = now();
    const window = windows.get(key);
    if (!window || time - window.start >= 60_000) {
      windows.set(key, { start: time, count: 1 });
      if (windows.size > 10_000) {
        for (const [name, entry] of windows) if (time - entry.start >= 60_000) windows.delete(name);
      }
      return next();
    }
    window.count += 1;
    if (window.count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.start + 60_000 - time) / 1000));
      throw new HTTPException(429, {
        message: `rate limit of ${perMinute} requests per minute exceeded; retry in ${retryAfter} s`,
        res: new Response(null, { status: 429, headers: { 'retry-after': String(retryAfter) } }),
      });
    }
    return next();
  };
}
