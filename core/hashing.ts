import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A file's sha256, read as a stream so a model file never sits in memory whole. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** JSON with sorted keys, so equal objects hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, entry]) => [key, sortKeys(entry)]));
  }
  return value;
}

/**
 * A UUID (version 8, RFC 9562 "custom") derived from the parts. Vector stores such as Qdrant accept
 * only UUIDs or integers as point ids, and a derived id makes upserts idempotent.
 */
export function deterministicUuid(...parts: string[]): string {
  const hex = sha256(parts.join('\u0000')).slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
