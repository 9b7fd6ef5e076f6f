import type { Author } from '../types/author.ts';
import type { Category, Platform } from '../types/category.ts';
import type { RawDocument } from '../types/raw-document.ts';

export type DocumentFilter = {
  authorId?: string;
  platform?: Platform;
  category?: Category;
  ids?: string[];
  /** Documents whose last crawl that saw them is older than this ISO time (gone from their feed). */
  notSeenSince?: string;
};

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

/** A document with the bookkeeping the warehouse adds. */
export type StoredDocument = RawDocument & { firstSeenAt: string; lastSeenAt: string; updatedAt: string };

/** The data warehouse of raw documents and their authors. */
export interface DocumentRepository {
  upsertAuthor(name: string): Promise<Author>;
  listAuthors(): Promise<Author[]>;
  /**
   * Idempotent by id: same content hash → `unchanged` (only lastSeenAt moves). A created or changed
   * document writes an outbox event in the same transaction; `holdChanges` writes it held (no relay
   * builds it until a feature build covering the document takes it).
   */
  upsert(document: RawDocument, seenAt: string, options?: { holdChanges?: boolean }): Promise<UpsertOutcome>;
  get(id: string): Promise<StoredDocument | null>;
  list(filter?: DocumentFilter, page?: { limit?: number; offset?: number }): Promise<StoredDocument[]>;
  count(filter?: DocumentFilter): Promise<number>;
  /** Removes the document and everything derived from it in the metadata store. */
  remove(id: string): Promise<boolean>;
}
