import { describe, expect, it } from 'vitest';
import { sha256 } from '../hashing.ts';
import { article, type CreateMetadataStore, useMetadataStore } from './metadata-contract-fixtures.ts';

/**
 * The behaviour every OutboxRepository must have: an event written in the same transaction as each
 * created or changed document, batches claimed once, taken over after their lease, released,
 * drained and pruned.
 */
export function runOutboxRepositoryContract(name: string, create: CreateMetadataStore) {
  describe(`OutboxRepository contract: ${name}`, () => {
    const store = useMetadataStore(create);

    it('writes an outbox event with every created or changed document, none when unchanged', async () => {
      await store().documents.upsert(article('a1', 'first text'), '2026-03-01T00:00:00.000Z');
      await store().documents.upsert(article('a1', 'first text'), '2026-03-02T00:00:00.000Z');
      await store().documents.upsert(article('a1', 'second text'), '2026-03-03T00:00:00.000Z');
      await store().documents.upsert(article('a2', 'other text'), '2026-03-03T00:00:00.000Z');
      const events = await store().outbox.list({ pending: true });
      expect(events.map((event) => [event.topic, event.aggregateId, event.contentHash])).toEqual([
        ['document.changed', 'a1', sha256('first text')],
        ['document.changed', 'a1', sha256('second text')],
        ['document.changed', 'a2', sha256('other text')],
      ]);
      expect(events.every((event) => event.jobId === null && event.drainedAt === null)).toBe(true);
    });

    it('a document write that fails leaves neither the document nor its outbox event', async () => {
      await expect(
        store().documents.upsert(
          article('ghost', 'text', { authorId: 'nobody' }),
          '2026-03-01T00:00:00.000Z',
        ),
      ).rejects.toThrow();
      expect(await store().documents.get('ghost')).toBeNull();
      expect(await store().outbox.list({ aggregateId: 'ghost' })).toEqual([]);
    });

    it('claims outbox batches once, hands an abandoned batch over with its job id, and drains', async () => {
      for (const id of ['a1', 'a2', 'a3']) {
        await store().documents.upsert(article(id, `text ${id}`), '2026-03-01T00:00:00.000Z');
      }
      const now = new Date('2030-01-01T00:00:00.000Z');
      const options = {
        topic: 'document.changed' as const,
        limit: 2,
        leaseMs: 60_000,
        jobIdOf: (events: { aggregateId: string }[]) =>
          `job-${events.map((event) => event.aggregateId).join('-')}`,
        now,
      };
      const first = await store().outbox.claim(options);
      expect(first?.jobId).toBe('job-a1-a2');
      expect(first?.events.map((event) => event.aggregateId)).toEqual(['a1', 'a2']);
      const second = await store().outbox.claim(options);
      expect(second?.events.map((event) => event.aggregateId)).toEqual(['a3']);
      expect(await store().outbox.claim(options)).toBeNull();
      // The first relay dies; after its lease, its batch is taken over whole with the same job id.
      const later = { ...options, now: new Date(now.getTime() + 60_001), jobIdOf: () => 'never-used' };
      const takenOver = await store().outbox.claim(later);
      expect(takenOver?.jobId).toBe('job-a1-a2');
      expect(takenOver?.events.map((event) => event.aggregateId)).toEqual(['a1', 'a2']);
      // The dead relay's claim no longer counts: marking with it changes nothing.
      await store().outbox.markDrained(first as NonNullable<typeof first>);
      expect((await store().outbox.list({ pending: true })).map((event) => event.aggregateId)).toEqual([
        'a1',
        'a2',
        'a3',
      ]);
      await store().outbox.markDrained(takenOver as NonNullable<typeof takenOver>);
      // A released batch is claimable again at once, still with its job id.
      await store().outbox.release(second as NonNullable<typeof second>);
      const retried = await store().outbox.claim(options);
      expect(retried?.jobId).toBe('job-a3');
      await store().outbox.markDrained(retried as NonNullable<typeof retried>);
      expect(await store().outbox.list({ pending: true })).toEqual([]);
      expect(await store().outbox.claim(later)).toBeNull();
      const drained = await store().outbox.list({ pending: false });
      expect(drained.map((event) => [event.aggregateId, event.jobId])).toEqual([
        ['a1', 'job-a1-a2'],
        ['a2', 'job-a1-a2'],
        ['a3', 'job-a3'],
      ]);
      expect(drained.every((event) => event.drainedAt !== null)).toBe(true);
      await store().documents.upsert(article('a4', 'text a4'), '2026-03-01T00:00:00.000Z');
      expect(await store().outbox.prune(new Date(Date.now() + 60_000))).toBe(3);
      expect((await store().outbox.list()).map((event) => event.aggregateId)).toEqual(['a4']);
    });
  });
}
