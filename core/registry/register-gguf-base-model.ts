import type { ModelRegistry } from '../ports/model-registry.ts';
import type { ModelArtifact, ModelVersion } from '../types/model-version.ts';

export type GgufBaseModel = {
  name: string;
  path: string;
  sha256: string;
  origin: NonNullable<Extract<ModelArtifact, { kind: 'gguf' }>['origin']>;
  createdBy: string;
};

/**
 * Registers a pretrained GGUF file as a base model version, once: when a version of that name
 * already points at the same path with the same sha256 it is returned instead, so pulling the same
 * file again adds nothing to the registry.
 */
export async function registerGgufBaseModel(
  models: ModelRegistry,
  model: GgufBaseModel,
): Promise<{ version: ModelVersion; registered: boolean }> {
  const existing = (await models.list(model.name)).find(
    ({ artifact }) =>
      artifact.kind === 'gguf' && artifact.sha256 === model.sha256 && artifact.path === model.path,
  );
  if (existing) return { version: existing, registered: false };
  const version = await models.register({
    name: model.name,
    backend: 'gguf',
    baseModel: null,
    hyperparameters: {},
    datasetId: null,
    // A pretrained model learnt from no feature set of ours: it is served with the current one
    // (resolveServing), and a promotion of it does not move the serving feature set.
    featureSetId: null,
    parentVersion: null,
    metrics: {},
    lossCurve: [],
    artifact: { kind: 'gguf', path: model.path, sha256: model.sha256, origin: model.origin },
    lossCurveKey: null,
    jobId: null,
    createdBy: model.createdBy,
  });
  return { version, registered: true };
}
