import { z } from 'zod';

/** The kind of writing a document is; chunking and cleaning differ per category. */
export const Category = z.enum(['article', 'post', 'repository']);
export type Category = z.infer<typeof Category>;

/** Where a document was published. `web` is any blog or site without a dedicated crawler. */
export const Platform = z.enum(['web', 'medium', 'substack', 'devto', 'github', 'linkedin']);
export type Platform = z.infer<typeof Platform>;
