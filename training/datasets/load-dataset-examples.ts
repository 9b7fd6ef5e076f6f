import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import {
  type Dataset,
  type DatasetKind,
  InstructionExample,
  PreferenceExample,
} from '../../core/types/dataset.ts';
import { datasetId } from './dataset-id.ts';

/** A dataset's examples, typed by its kind. */
export type DatasetExamples =
  | { kind: 'instruction'; train: InstructionExample[]; test: InstructionExample[] }
  | { kind: 'preference'; train: PreferenceExample[]; test: PreferenceExample[] };

const splitsOf = <T extends z.ZodType>(example: T) =>
  z.object({ train: z.array(example), test: z.array(example) });
const schemas = { instruction: splitsOf(InstructionExample), preference: splitsOf(PreferenceExample) };

/**
 * Reads a dataset's examples from the artifact store and checks them: valid JSON of the dataset's
 * kind, the recorded sizes, and the content address. A file that does not hash to the dataset id
 * was changed after the build, and training on it would break lineage, so it is refused. Pass the
 * `kind` a caller needs to get examples of that type (and a clear error for a dataset of the other).
 */
export async function loadDatasetExamples(
  artifacts: ArtifactStore,
  dataset: Dataset,
  kind: 'instruction',
): Promise<Extract<DatasetExamples, { kind: 'instruction' }>>;
export async function loadDatasetExamples(
  artifacts: ArtifactStore,
  dataset: Dataset,
  kind: 'preference',
): Promise<Extract<DatasetExamples, { kind: 'preference' }>>;
export async function loadDatasetExamples(
  artifacts: ArtifactStore,
  dataset: Dataset,
): Promise<DatasetExamples>;
export async function loadDatasetExamples(
  artifacts: ArtifactStore,
  dataset: Dataset,
  kind?: DatasetKind,
): Promise<DatasetExamples> {
  if (kind && dataset.recipe.kind !== kind)
    throw new ValidationError(
      `dataset ${dataset.id} is ${withArticle(dataset.recipe.kind)} dataset, not ${withArticle(kind)} dataset`,
    );
  let bytes: Uint8Array;
  try {
    bytes = await artifacts.get(dataset.artifactKey);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(
        `the examples of dataset ${dataset.id} are missing (${artifacts.locate(dataset.artifactKey)}): rebuild it with \`twin datasets build\``,
        { cause: error },
      );
    throw error;
  }
  const corrupt = (problem: string, cause?: unknown) =>
    new ValidationError(
      `the examples of dataset ${dataset.id} are corrupt (${artifacts.locate(dataset.artifactKey)}): ${problem}`,
      { cause },
    );
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw corrupt('not valid JSON', error);
  }
  const parsed = schemas[dataset.recipe.kind].safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(
      `not ${dataset.recipe.kind} examples: ${issue?.path.join('.')} ${issue?.message}`,
      parsed.error,
    );
  }
  const { train, test } = parsed.data;
  if (train.length !== dataset.sizes.train || test.length !== dataset.sizes.test)
    throw corrupt(
      `${train.length}/${test.length} train/test examples, the record says ${dataset.sizes.train}/${dataset.sizes.test}`,
    );
  if (datasetId(dataset.recipe, { train, test }) !== dataset.id)
    throw corrupt('the examples do not hash to the dataset id (edited after the build?)');
  return { kind: dataset.recipe.kind, train, test } as DatasetExamples;
}

function withArticle(kind: DatasetKind): string {
  return kind === 'instruction' ? 'an instruction' : 'a preference';
}
