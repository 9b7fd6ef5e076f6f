/** Topics written to the outbox; one today, a union when a second change stream appears. */
export type OutboxTopic = 'document.changed';

/**
 * One change recorded in the same transaction as the write it describes (transactional outbox),
 * so a crash between the write and telling the queue loses nothing: a relay drains it later.
 */
export type OutboxEvent = {
  id: string;
  topic: OutboxTopic;
  /** The changed aggregate: a document id for `document.changed`. */
  aggregateId: string;
  /** The content hash written, so a job id derived from it changes when the content does. */
  contentHash: string;
  createdAt: string;
  /** Set when a relay first claims the event; kept across crashes so a retry reuses the job id. */
  jobId: string | null;
  drainedAt: string | null;
  /**
   * Set when the writer asked for no feature build (`twin crawl --no-features`): relays leave the
   * event alone until a feature build covering its document takes it, or it is released.
   */
  heldAt: string | null;
};
