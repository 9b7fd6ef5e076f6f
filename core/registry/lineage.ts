import { NotFoundError } from '../errors.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { Dataset } from '../types/dataset.ts';
import type { FeatureSet } from '../types/feature-set.ts';
import type { ModelVersion } from '../types/model-version.ts';

/**
 * The base model file a LoRA adapter version runs on, as the version recorded it; `registered` is
 * false when that base version is no longer in the registry.
 */
export type LineageBase = {
  name: string;
  version: number;
  path: string;
  sha256: string;
  registered: boolean;
};

export type Lineage = {
  model: ModelVersion;
  parents: ModelVersion[];
  /** The GGUF base of an adapter version; null for any other kind of version. */
  base: LineageBase | null;
  dataset: Dataset | null;
  featureSet: FeatureSet | null;
  documents: { id: string; title: string; platform: string; url: string; present: boolean }[];
};

/** model → parent versions → base model (adapters) → dataset → feature set → source documents, as stored. */
export async function lineageOf(metadata: MetadataStore, name: string, version: number): Promise<Lineage> {
  const model = await metadata.models.get(name, version);
  if (!model) throw new NotFoundError(`model ${name}:${version} not found`);
  const parents: ModelVersion[] = [];
  for (let parent = model.parentVersion; parent !== null; ) {
    const found = await metadata.models.get(name, parent);
    if (!found) break;
    parents.push(found);
    parent = found.parentVersion;
  }
  const artifact = model.artifact;
  const base =
    artifact.kind === 'gguf-adapter'
      ? {
          ...artifact.base,
          registered: (await metadata.models.get(artifact.base.name, artifact.base.version)) !== null,
        }
      : null;
  const dataset = model.datasetId ? await metadata.datasets.get(model.datasetId) : null;
  const featureSetId = model.featureSetId ?? dataset?.recipe.featureSetId ?? null;
  const featureSet = featureSetId ? await metadata.featureSets.get(featureSetId) : null;
  const documents = await Promise.all(
    (dataset?.sourceDocumentIds ?? []).map(async (id) => {
      const document = await metadata.documents.get(id);
      return {
        id,
        title: document?.title ?? '(removed)',
        platform: document?.platform ?? '—',
        url: document?.canonicalUrl ?? document?.sourceUrl ?? '—',
        present: document !== null,
      };
    }),
  );
  return { model, parents, base, dataset, featureSet, documents };
}
