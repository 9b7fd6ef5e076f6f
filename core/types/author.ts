import { z } from 'zod';

/** A person whose published work the twin learns from. `id` is a stable slug of the name. */
export const Author = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  createdAt: z.string(),
});
export type Author = z.infer<typeof Author>;

/** Lower-case, dash-separated slug used as the author id (stable across crawls). */
export function authorIdFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'unknown';
}
