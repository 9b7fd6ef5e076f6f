import { z } from 'zod';
import { Category, Platform } from './category.ts';

/** A raw document after the versioned cleaner ran; the training pipeline reads this text. */
export const CleanedDocument = z.object({
  documentId: z.string().min(1),
  featureSetId: z.string().min(1),
  authorId: z.string().min(1),
  platform: Platform,
  category: Category,
  url: z.string(),
  title: z.string(),
  text: z.string(),
  /** contentHash of the raw document this was cleaned from. */
  sourceHash: z.string().length(64),
  publishedAt: z.string().nullable(),
  cleanedAt: z.string(),
});
export type CleanedDocument = z.infer<typeof CleanedDocument>;
