import { NotFoundError } from '../../core/errors.ts';
import type { FeatureDependencies } from '../feature-dependencies.ts';

/**
 * Removes a document from the warehouse together with its features in every feature set.
 * Vectors go first: if the process dies half-way the document is still listed and can be removed
 * again, whereas the reverse order could leave orphan vectors nothing points at.
 */
export async function removeDocument(
  documentId: string,
  dependencies: Pick<FeatureDependencies, 'metadata' | 'vectors'>,
): Promise<{ documentId: string; featureSets: string[]; vectors: number }> {
  const { metadata, vectors } = dependencies;
  const document = await metadata.documents.get(documentId);
  if (!document) throw new NotFoundError(`document ${documentId} not found`);
  const featureSets = new Set(await metadata.featureSets.featureSetsOf(documentId));
  for (const featureSet of await metadata.featureSets.list()) featureSets.add(featureSet.id);
  let removed = 0;
  for (const featureSetId of featureSets) removed += await vectors.deleteByDocument(featureSetId, documentId);
  await metadata.documents.remove(documentId);
  return { documentId, featureSets: [...featureSets].filter(Boolean), vectors: removed };
}
