import { NotFoundError } from '../../core/errors.ts';
import { assertEmbedderMatches } from '../../core/features/embed-texts.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import { newestVersion } from '../../core/registry/baseline-version.ts';
import { parseModelReference } from '../../core/registry/model-reference.ts';
import { resolveModel } from '../../core/registry/resolve-model.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import type { InferenceDependencies } from '../inference-dependencies.ts';

export type Serving = { version: ModelVersion | null; featureSet: FeatureSet; embedder: Embedder };

/**
 * What answers a request: the model version the reference points at now (aliases are read per
 * request, so a promotion or rollback takes effect without a restart) and the feature set that
 * version was trained on, with the embedder checked against it (the skew guard). `twin` with no
 * production version yet serves the pulled base model (`server.baseModel`, its latest version)
 * over the current feature set, or, with none pulled, no generator (extractive answers).
 */
export async function resolveServing(
  dependencies: InferenceDependencies,
  model: string | undefined,
): Promise<Serving> {
  const requested = model === undefined || model === 'twin' ? dependencies.config.server.modelName : model;
  const reference = parseModelReference(requested);
  let version: ModelVersion | null = null;
  try {
    version = await resolveModel(dependencies.metadata.models, requested);
  } catch (error) {
    const isDefault = requested === dependencies.config.server.modelName && !('version' in reference);
    if (!(error instanceof NotFoundError) || !isDefault) throw error;
    const base = dependencies.config.server.baseModel;
    version = base ? await newestVersion(dependencies.metadata.models, base) : null;
  }
  return servingFor(dependencies, version, requested);
}

/**
 * How a given version (null: none, extractive answers) is served: over the feature set it was
 * trained on, else the current one, with the embedder checked against it (the skew guard).
 */
export async function servingFor(
  dependencies: InferenceDependencies,
  version: ModelVersion | null,
  requested = version ? `${version.name}:${version.version}` : dependencies.config.server.modelName,
): Promise<Serving> {
  const featureSet = version?.featureSetId
    ? await dependencies.metadata.featureSets.get(version.featureSetId)
    : await dependencies.currentFeatureSet();
  if (!featureSet) {
    throw new NotFoundError(
      version?.featureSetId
        ? `feature set ${version.featureSetId} of ${version.name}:${version.version} is not in the metadata store`
        : `${requested} has no features to search yet: crawl something first (\`twin crawl URL --author NAME\` or POST /api/crawl)`,
    );
  }
  const embedder = await dependencies.embedder();
  assertEmbedderMatches(featureSet, embedder);
  return { version, featureSet, embedder };
}
