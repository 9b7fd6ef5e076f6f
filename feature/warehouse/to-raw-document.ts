import { sha256 } from '../../core/hashing.ts';
import { type CrawledDocument, RawDocument } from '../../core/types/raw-document.ts';

/**
 * Gives a crawled document its identity. The id hashes the author and the source URL, so crawling
 * the same page again lands on the same row; the content hash (title + content) tells whether it
 * changed. Cross-posts (same text at two URLs) stay two documents; validation drops the duplicate.
 */
export function toRawDocument(crawled: CrawledDocument, authorId: string, fetchedAt: string): RawDocument {
  return RawDocument.parse({
    ...crawled,
    id: sha256(`${authorId}\n${crawled.sourceUrl}`).slice(0, 24),
    authorId,
    contentHash: sha256(`${crawled.title}\n${crawled.content}`),
    fetchedAt,
  });
}
