import { z } from 'zod';
import { Platform } from './category.ts';

const RawDocumentBase = z.object({
  /** Deterministic id: a hash of the author and the document's source key (see `documentId`). */
  id: z.string().min(1),
  authorId: z.string().min(1),
  platform: Platform,
  /** Where the document was fetched from (URL, `file://` path or archive entry). */
  sourceUrl: z.string().min(1),
  canonicalUrl: z.string().nullable(),
  title: z.string(),
  /** Extracted text. Articles and posts keep paragraphs as blank-line separated blocks. */
  content: z.string(),
  /** sha256 of the content and title, used for idempotent re-crawls. */
  contentHash: z.string().length(64),
  publishedAt: z.string().nullable(),
  fetchedAt: z.string(),
  /** Free-form facts the crawler found (byline, site name, tags, language...). */
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export const ArticleDocument = RawDocumentBase.extend({ category: z.literal('article') });
export const PostDocument = RawDocumentBase.extend({ category: z.literal('post') });
export const RepositoryDocument = RawDocumentBase.extend({
  category: z.literal('repository'),
  /** Repository name and the file's path inside it. */
  repository: z.string().min(1),
  path: z.string().min(1),
  language: z.string().nullable(),
});

/** A document as crawled, before any cleaning: the warehouse's unit of storage. */
export const RawDocument = z.discriminatedUnion('category', [
  ArticleDocument,
  PostDocument,
  RepositoryDocument,
]);
export type RawDocument = z.infer<typeof RawDocument>;
export type ArticleDocument = z.infer<typeof ArticleDocument>;
export type PostDocument = z.infer<typeof PostDocument>;
export type RepositoryDocument = z.infer<typeof RepositoryDocument>;

/** What a crawler hands to the warehouse: a raw document before id, hash and author are assigned. */
export type CrawledDocument = DistributiveOmit<RawDocument, 'id' | 'contentHash' | 'authorId' | 'fetchedAt'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
