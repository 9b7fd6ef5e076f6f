import type { Dataset, DatasetKind } from '../types/dataset.ts';

/** Dataset records; the examples themselves live in the artifact store under `artifactKey`. */
export interface DatasetRepository {
  /** Content-addressed: saving an id that exists returns the stored record untouched. */
  save(dataset: Dataset): Promise<Dataset>;
  get(id: string): Promise<Dataset | null>;
  list(filter?: { featureSetId?: string; kind?: DatasetKind }): Promise<Dataset[]>;
}
