import type { OutboxEvent, OutboxTopic } from '../types/outbox-event.ts';

/** Events claimed together by one relay; they become one job whose id is `jobId`. */
export type OutboxBatch = {
  jobId: string;
  /** Identifies this claim; only its holder may mark the batch drained or release it. */
  claim: string;
  events: OutboxEvent[];
};

export type ClaimOptions = {
  topic: OutboxTopic;
  /** Most events in a fresh batch. */
  limit: number;
  /** A claim not drained within this time is taken over (its relay is presumed dead). */
  leaseMs: number;
  /** Derives the job id of a fresh batch from its events (deterministic, so retries dedupe). */
  jobIdOf(events: OutboxEvent[]): string;
  now?: Date;
};

export type OutboxFilter = {
  pending?: boolean;
  aggregateId?: string;
  /** Events of any of these aggregates. */
  aggregateIds?: readonly string[];
  /** Events written at or after this ISO time (compare with times from the writing process's clock). */
  createdFrom?: string;
};

/**
 * The transactional outbox. Writers add events inside their own transaction (see the document
 * repository); relays claim, publish and mark them drained. Safe with several relays at once.
 */
export interface OutboxRepository {
  /**
   * Claims the next batch, or null when nothing is pending. A batch whose relay died after it
   * got its job id is taken over whole, with the same job id, before any fresh events.
   */
  claim(options: ClaimOptions): Promise<OutboxBatch | null>;
  markDrained(batch: OutboxBatch, at?: Date): Promise<void>;
  /** Gives the batch back at once (publishing failed); it keeps its job id for the retry. */
  release(batch: OutboxBatch): Promise<void>;
  list(filter?: OutboxFilter): Promise<OutboxEvent[]>;
  /**
   * Marks held events of these aggregates, written at or before `writtenBy`, drained by the feature
   * build `jobId` that covered them (it read the documents after they were written). Returns how many.
   */
  takeHeld(options: {
    aggregateIds: readonly string[];
    writtenBy: string;
    jobId: string;
    at?: Date;
  }): Promise<number>;
  /** Hands every held event to the relays, as if it had been written without holding. Returns how many. */
  releaseHeld(): Promise<number>;
  /** Deletes events drained before `drainedBefore` (the outbox is a hand-over, not a history). */
  prune(drainedBefore: Date): Promise<number>;
}
