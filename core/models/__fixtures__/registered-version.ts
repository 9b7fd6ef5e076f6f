import type { ModelArtifact, ModelVersion } from '../../types/model-version.ts';

/** A registered version of `twin` around an artifact, for tests of opening models. */
export function registeredVersion(artifact: ModelArtifact, overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    name: 'twin',
    version: 3,
    backend: artifact.kind,
    baseModel: null,
    hyperparameters: {},
    datasetId: null,
    featureSetId: null,
    parentVersion: null,
    metrics: {},
    lossCurve: [],
    artifact,
    lossCurveKey: null,
    jobId: null,
    createdAt: '2025-05-01T10:00:00.000Z',
    createdBy: 'test',
    ...overrides,
  };
}
