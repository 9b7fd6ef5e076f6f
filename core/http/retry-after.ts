/**
 * A `Retry-After` value as milliseconds: delta-seconds (RFC 9110 §10.2.3; fractional seconds, which
 * some APIs send, are honoured too) or an HTTP date, relative to `now`. Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number.parseFloat(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** How long an API asks to wait: OpenAI's `retry-after-ms` first, then the standard `Retry-After`. */
export function retryAfterFromHeaders(headers: Headers, now: number = Date.now()): number | undefined {
  const milliseconds = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  return parseRetryAfter(headers.get('retry-after'), now) ?? undefined;
}
