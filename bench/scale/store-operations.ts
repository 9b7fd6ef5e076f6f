import { sha256 } from '../../core/hashing.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import type { RawDocument } from '../../core/types/raw-document.ts';
import { measure, round } from '../measure.ts';

export type OperationFigures = Record<string, { msPerOp: number; ops: number; peakRssMb: number }>;

const documentCount = 300;
const versionCount = 60;

function document(index: number, revision: number): RawDocument {
  const content = `Revision ${revision} of essay ${index}: ${'Feature stores keep training and serving honest. '.repeat(40)}`;
  return {
    id: `doc-${index}`,
    authorId: 'bench-author',
    platform: 'web',
    category: 'article',
    sourceUrl: `https://bench.example/${index}`,
    canonicalUrl: null,
    title: `Essay ${index}`,
    content,
    contentHash: sha256(content),
    publishedAt: '2026-02-01T00:00:00.000Z',
    fetchedAt: '2026-03-01T00:00:00.000Z',
    metadata: {},
  } as RawDocument;
}

/**
 * The registry and warehouse operations the pipelines issue most, one at a time as a worker does:
 * document upserts (create, then change: each writes its outbox event in the same transaction),
 * reads, a listing page, version registration, alias moves and alias reads.
 */
export async function runStoreOperations(store: MetadataStore): Promise<OperationFigures> {
  const figures: OperationFigures = {};
  const timed = async (name: string, ops: number, work: (index: number) => Promise<unknown>) => {
    const measured = await measure(async () => {
      for (let index = 0; index < ops; index += 1) await work(index);
    });
    figures[name] = { msPerOp: round(measured.durationMs / ops, 3), ops, peakRssMb: measured.peakRssMb };
  };
  await store.documents.upsertAuthor('Bench Author');
  const seenAt = '2026-03-01T00:00:00.000Z';
  await timed('documentCreate', documentCount, (index) => store.documents.upsert(document(index, 1), seenAt));
  await timed('documentChange', documentCount, (index) => store.documents.upsert(document(index, 2), seenAt));
  await timed('documentUnchanged', documentCount, (index) =>
    store.documents.upsert(document(index, 2), seenAt),
  );
  await timed('documentGet', documentCount, (index) => store.documents.get(`doc-${index}`));
  await timed('documentListPage', 50, (index) => store.documents.list({}, { limit: 50, offset: index * 5 }));
  await timed('versionRegister', versionCount, () =>
    store.models.register({
      name: 'bench',
      backend: 'local',
      baseModel: null,
      hyperparameters: { steps: 10 },
      datasetId: null,
      featureSetId: null,
      parentVersion: null,
      metrics: { rougeL: 0.3 },
      lossCurve: [{ step: 1, trainLoss: 3.2, validationLoss: null }],
      artifact: { kind: 'local', key: 'models/bench', sha256: '0'.repeat(64) },
      lossCurveKey: null,
      jobId: null,
      createdBy: 'bench',
    }),
  );
  let current: number | null = null;
  await timed('aliasMove', versionCount, async (index) => {
    const toVersion = index + 1;
    await store.models.moveAlias({
      name: 'bench',
      alias: 'production',
      toVersion,
      movedBy: 'bench',
      expectedVersion: current,
    });
    current = toVersion;
  });
  await timed('aliasGet', documentCount, () => store.models.getAlias('bench', 'production'));
  return figures;
}
