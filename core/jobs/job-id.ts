import { ValidationError } from '../errors.ts';
import { sha256 } from '../hashing.ts';

/**
 * The characters a job id may use, on every queue adapter: BullMQ reserves `:` as its Redis key
 * separator, and ids also travel in URLs (`/api/jobs/:id`) and log lines.
 */
const validJobId = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/** Whether `id` is a job id every queue adapter accepts. */
export function isValidJobId(id: string): boolean {
  return validJobId.test(id);
}

/** Throws a ValidationError naming the rule when `id` is not a valid job id. */
export function assertValidJobId(id: string): void {
  if (!isValidJobId(id)) {
    throw new ValidationError(
      `job id "${id}" is not valid: use 1 to 200 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
}

/**
 * A deterministic job id, `<kind>-<32 hex>`, derived from the parts: the same parts always give the
 * same id, so the queue dedupes a job enqueued twice, and the id is valid on every adapter.
 */
export function jobIdFor(kind: string, ...parts: string[]): string {
  const id = `${kind}-${sha256(parts.join('\n')).slice(0, 32)}`;
  assertValidJobId(id);
  return id;
}
