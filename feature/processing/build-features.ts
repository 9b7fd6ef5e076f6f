import { chunkDocument } from '../../core/features/chunk-document.ts';
import { cleanText } from '../../core/features/clean-text.ts';
import { embedTexts } from '../../core/features/embed-texts.ts';
import { featureSetFromConfig } from '../../core/features/feature-set-from-config.ts';
import { sha256 } from '../../core/hashing.ts';
import type { FeatureBuildResult, ParsedJobPayload } from '../../core/jobs/job-contracts.ts';
import type { StoredDocument } from '../../core/ports/document-repository.ts';
import type { JobContext } from '../../core/ports/job-queue.ts';
import type { Chunk } from '../../core/types/chunk.ts';
import type { CleanedDocument } from '../../core/types/cleaned-document.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import type { FeatureDependencies } from '../feature-dependencies.ts';
import { validateDocument } from './validate-document.ts';

type Prepared = { cleaned: CleanedDocument; chunks: Chunk[] };

/**
 * clean → validate → chunk → embed → store, for every document that is new or changed in the
 * current feature set. A document is marked processed only after its vectors are stored, so a
 * crash part-way leaves it to be redone on the next run, never half-counted.
 */
export async function buildFeatures(
  payload: ParsedJobPayload<'feature.build'>,
  context: Pick<JobContext, 'jobId' | 'progress' | 'log' | 'signal'>,
  dependencies: FeatureDependencies,
): Promise<FeatureBuildResult> {
  const started = performance.now();
  const { metadata, vectors, config } = dependencies;
  const embedder = await dependencies.embedder();
  const featureSet = await metadata.featureSets.register(
    featureSetFromConfig(config.features.chunking, embedder),
  );
  await vectors.ensureCollection(featureSet);
  await context.log(`feature set ${featureSet.id} (${embedder.id}, ${embedder.dimensions}-d)`);

  // Held changes written by now are in the documents read next, so this build covers them.
  const listedAt = new Date().toISOString();
  const documents = await metadata.documents.list({
    authorId: payload.authorId,
    platform: payload.platform,
    category: payload.category,
    ids: payload.documentIds,
  });
  const seenTexts = await existingTextHashes(dependencies, featureSet);
  const result: FeatureBuildResult = {
    featureSetId: featureSet.id,
    documents: documents.length,
    processed: 0,
    upToDate: 0,
    rejected: [],
    chunks: 0,
    durationMs: 0,
    embedMs: 0,
  };

  let batch: Prepared[] = [];
  let batchChunks = 0;
  let done = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const embedStarted = performance.now();
    const chunks = batch.flatMap((prepared) => prepared.chunks);
    const embeddings = await embedTexts(
      embedder,
      chunks.map((chunk) => chunk.text),
    );
    result.embedMs += performance.now() - embedStarted;
    for (const prepared of batch) {
      await vectors.deleteByDocument(featureSet.id, prepared.cleaned.documentId);
    }
    await vectors.upsert(
      featureSet.id,
      chunks.map((chunk, index) => {
        const { id, tokenCount: _tokens, ...payloadFields } = chunk;
        return { id, vector: embeddings[index] as Float32Array, payload: payloadFields };
      }),
    );
    for (const prepared of batch) {
      await metadata.featureSets.saveCleaned(prepared.cleaned, prepared.chunks.length);
    }
    result.processed += batch.length;
    result.chunks += chunks.length;
    batch = [];
    batchChunks = 0;
  };

  for (const document of documents) {
    if (context.signal.aborted) throw context.signal.reason;
    done += 1;
    const processed = await metadata.featureSets.getProcessed(featureSet.id, document.id);
    if (processed && processed.sourceHash === document.contentHash && !payload.force) {
      result.upToDate += 1;
      continue;
    }
    const cleaned = cleanDocument(document, featureSet);
    const textHash = sha256(cleaned.text);
    const verdict = validateDocument(cleaned, textHash, {
      minCharacters: config.features.minCharacters,
      seenTexts,
    });
    if (!verdict.ok) {
      result.rejected.push({ documentId: document.id, reason: verdict.reason });
      // A document that became invalid must not keep serving its old features.
      await vectors.deleteByDocument(featureSet.id, document.id);
      await metadata.featureSets.removeDocument(featureSet.id, document.id);
      continue;
    }
    seenTexts.set(textHash, document.id);
    const chunks = chunkDocument(cleaned, featureSet.spec);
    batch.push({ cleaned, chunks });
    batchChunks += chunks.length;
    if (batchChunks >= config.features.batchSize) {
      await flush();
      await context.progress(
        done / documents.length,
        `${done}/${documents.length} documents, ${result.chunks} chunks`,
      );
    }
  }
  await flush();
  const taken = await metadata.outbox.takeHeld({
    aggregateIds: documents.map((document) => document.id),
    writtenBy: listedAt,
    jobId: context.jobId,
  });
  if (taken > 0) await context.log(`took ${taken} held changes (crawled without a feature build)`);
  await context.progress(1, `${documents.length}/${documents.length} documents, ${result.chunks} chunks`);
  result.durationMs = performance.now() - started;
  await context.log(
    `processed ${result.processed}, up to date ${result.upToDate}, rejected ${result.rejected.length}, chunks ${result.chunks}`,
  );
  return result;
}

export function cleanDocument(document: StoredDocument, featureSet: FeatureSet): CleanedDocument {
  return {
    documentId: document.id,
    featureSetId: featureSet.id,
    authorId: document.authorId,
    platform: document.platform,
    category: document.category,
    url: document.canonicalUrl ?? document.sourceUrl,
    title: cleanText(document.title, 'post'),
    text: cleanText(document.content, document.category),
    sourceHash: document.contentHash,
    publishedAt: document.publishedAt,
    cleanedAt: new Date().toISOString(),
  };
}

async function existingTextHashes(dependencies: FeatureDependencies, featureSet: FeatureSet) {
  const seen = new Map<string, string>();
  for (const cleaned of await dependencies.metadata.featureSets.listCleaned(featureSet.id)) {
    seen.set(sha256(cleaned.text), cleaned.documentId);
  }
  return seen;
}
