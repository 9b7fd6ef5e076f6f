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

    it('lists outbox events by a set of aggregates and by when they were written', async () => {
      await store().documents.upsert(article('b1', 'one'), '2026-03-01T00:00:00.000Z');
      const [first] = await store().outbox.list({ aggregateId: 'b1' });
      // The next writes come strictly after the first one (times have millisecond resolution).
      const between = new Date(Date.parse(first?.createdAt ?? '') + 1).toISOString();
      while (new Date().toISOString() < between) await Promise.resolve();
      await store().documents.upsert(article('b2', 'two'), '2026-03-01T00:00:00.000Z');
      await store().documents.upsert(article('b1', 'one, again'), '2026-03-02T00:00:00.000Z');
      await store().documents.upsert(article('b3', 'three'), '2026-03-02T00:00:00.000Z');
      const pairs = (events: { aggregateId: string; contentHash: string }[]) =>
        events.map((event) => [event.aggregateId, event.contentHash]);
      expect(pairs(await store().outbox.list({ aggregateIds: ['b1', 'b2'] }))).toEqual([
        ['b1', sha256('one')],
        ['b2', sha256('two')],
        ['b1', sha256('one, again')],
      ]);
      expect(pairs(await store().outbox.list({ aggregateIds: ['b1', 'b3'], createdFrom: between }))).toEqual([
        ['b1', sha256('one, again')],
        ['b3', sha256('three')],
      ]);
      expect(await store().outbox.list({ aggregateIds: [] })).toEqual([]);
      // Past one statement's worth of ids, the answer is the same.
      const many = [...Array.from({ length: 1200 }, (_, index) => `x${index}`), 'b2'];
      expect(pairs(await store().outbox.list({ aggregateIds: many }))).toEqual([['b2', sha256('two')]]);
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

    it('holds changes written with holdChanges: no relay claims them; a build covering them takes them', async () => {
      const hold = { holdChanges: true };
      await store().documents.upsert(article('h1', 'held one'), '2026-03-01T00:00:00.000Z', hold);
      await store().documents.upsert(article('h2', 'held two'), '2026-03-01T00:00:00.000Z', hold);
      await store().documents.upsert(article('h3', 'held three'), '2026-03-01T00:00:00.000Z', hold);
      await store().documents.upsert(article('f1', 'free one'), '2026-03-01T00:00:00.000Z');
      const held = await store().outbox.list({ aggregateIds: ['h1', 'h2', 'h3'] });
      expect(held.map((event) => event.heldAt !== null)).toEqual([true, true, true]);
      const writtenBy = held[2]?.createdAt as string;
      const options = {
        topic: 'document.changed' as const,
        limit: 100,
        leaseMs: 60_000,
        jobIdOf: () => 'job-free',
      };
      const batch = await store().outbox.claim(options);
      expect(batch?.events.map((event) => event.aggregateId)).toEqual(['f1']);
      await store().outbox.markDrained(batch as NonNullable<typeof batch>);
      expect(await store().outbox.claim(options)).toBeNull();
      // A build of h1 and h2 (and f1, not held) takes exactly their held events, with its job id.
      expect(
        await store().outbox.takeHeld({ aggregateIds: ['h1', 'h2', 'f1'], writtenBy, jobId: 'job-build' }),
      ).toBe(2);
      const pending = await store().outbox.list({ pending: true });
      expect(pending.map((event) => event.aggregateId)).toEqual(['h3']);
      const taken = await store().outbox.list({ aggregateIds: ['h1', 'h2'] });
      expect(taken.map((event) => [event.jobId, event.drainedAt !== null])).toEqual([
        ['job-build', true],
        ['job-build', true],
      ]);
      // A change written after the build read its documents is not taken by it.
      while (new Date().toISOString() <= writtenBy) await Promise.resolve();
      await store().documents.upsert(article('h3', 'held three, changed'), '2026-03-02T00:00:00.000Z', hold);
      expect(await store().outbox.takeHeld({ aggregateIds: ['h3'], writtenBy, jobId: 'job-old' })).toBe(1);
      expect((await store().outbox.list({ pending: true })).map((event) => event.contentHash)).toEqual([
        sha256('held three, changed'),
      ]);
      // Released, a held change is the relays' like any other.
      expect(await store().outbox.releaseHeld()).toBe(1);
      const released = await store().outbox.claim({ ...options, jobIdOf: () => 'job-released' });
      expect(released?.events.map((event) => [event.aggregateId, event.heldAt])).toEqual([['h3', null]]);
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
