import { describe, expect, it } from 'vitest';
import { type CreateMetadataStore, useMetadataStore } from './metadata-contract-fixtures.ts';
import { contractFeatureSet } from './vector-store-contract.ts';

/** The behaviour every RequestLogRepository must have: request logs, listed newest first and filtered. */
export function runRequestLogRepositoryContract(name: string, create: CreateMetadataStore) {
  describe(`RequestLogRepository contract: ${name}`, () => {
    const store = useMetadataStore(create);

    it('records request logs and lists them newest first', async () => {
      const log = (id: string, at: string, route = '/v1/chat/completions') => ({
        id,
        at,
        route,
        status: 200,
        model: 'twin:1',
        featureSetId: contractFeatureSet.id,
        question: `question ${id}`,
        filters: { platform: ['linkedin'] },
        retrieved: [{ chunkId: 'c1', documentId: 'd1', score: 0.5 }],
        timings: { totalMs: 12.5 },
        promptTokens: 10,
        completionTokens: 20,
        durationMs: 30.25,
        error: null,
      });
      await store().requests.record(log('r1', '2026-05-01T00:00:00.000Z'));
      await store().requests.record(log('r2', '2026-05-02T00:00:00.000Z', '/api/search'));
      expect((await store().requests.list()).map((entry) => entry.id)).toEqual(['r2', 'r1']);
      expect(await store().requests.list({ route: '/v1/chat/completions' })).toEqual([
        log('r1', '2026-05-01T00:00:00.000Z'),
      ]);
      expect(
        (await store().requests.list({ since: '2026-05-02T00:00:00.000Z' })).map((entry) => entry.id),
      ).toEqual(['r2']);
    });
  });
}
