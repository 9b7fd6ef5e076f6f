import type { TwinConfig } from '../../core/config/config-schema.ts';
import { ConfigError, NotFoundError, ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import type { CleanedDocument } from '../../core/types/cleaned-document.ts';
import type {
  Dataset,
  DatasetKind,
  DatasetRecipe,
  DatasetSplits,
  InstructionExample,
  PreferenceExample,
} from '../../core/types/dataset.ts';
import { datasetArtifactKey, datasetId } from './dataset-id.ts';
import { filterExamples } from './filters.ts';
import { generateLlmInstructions, llmGeneratorVersion, llmPrompts } from './llm-instruction-generator.ts';
import { LlmRejectedAnswerSource } from './llm-rejected-answer-source.ts';
import {
  generateOfflineInstructions,
  offlineGeneratorVersion,
  offlinePrompts,
} from './offline-instruction-generator.ts';
import { generatePreferences } from './preference-generator.ts';
import type { RejectedAnswerSource } from './rejected-answer-source.ts';
import { splitDataset } from './split-dataset.ts';
import { addUsage, noUsage, type TokenUsage, usageSummary } from './token-usage.ts';

export type BuildDatasetOptions = {
  featureSetId: string;
  kind: DatasetKind;
  /** Only this author's documents; all authors of the feature set otherwise. */
  authorId?: string;
  generator: 'offline' | 'llm';
};

export type BuildDatasetDependencies = {
  metadata: MetadataStore;
  artifacts: ArtifactStore;
  config: TwinConfig['training'];
  logger: Logger;
  progress?: (fraction: number, message: string) => void | Promise<void>;
  signal?: AbortSignal;
  /** Writes the rejected answers of a preference dataset; defaults to the configured LLM generator. */
  rejectedSource?: RejectedAnswerSource;
  /** The clock for `createdAt` (which never affects the id). */
  now?: () => Date;
};

export type BuildDatasetResult = { dataset: Dataset; created: boolean };

/**
 * Feature store → immutable, content-addressed dataset: reads a feature set's cleaned documents,
 * generates instruction pairs (offline rules or an LLM), filters them, adds generic rejected answers
 * for a preference dataset, and splits by document. The id hashes the recipe and the examples, so
 * building the same inputs again finds the existing dataset instead of making a second one. The
 * examples are written before the record: a crash can leave an orphaned file, never a record
 * without its examples.
 */
export async function buildDataset(
  options: BuildDatasetOptions,
  dependencies: BuildDatasetDependencies,
): Promise<BuildDatasetResult> {
  const { metadata, artifacts, config, logger, signal } = dependencies;
  const progress = async (fraction: number, message: string) => {
    signal?.throwIfAborted();
    await dependencies.progress?.(fraction, message);
  };
  // Progress inside a generation step must not hold it up, nor fail it.
  const report = (fraction: number, message: string) => {
    void Promise.resolve()
      .then(() => dependencies.progress?.(fraction, message))
      .catch((error: unknown) => logger.debug('progress report failed', { error: String(error) }));
  };

  await progress(0, 'reading cleaned documents');
  const featureSet = await metadata.featureSets.get(options.featureSetId);
  if (!featureSet)
    throw new NotFoundError(`feature set ${options.featureSetId} not found (see \`twin features list\`)`);
  const documents = await metadata.featureSets.listCleaned(options.featureSetId, {
    authorId: options.authorId,
  });
  if (documents.length === 0)
    throw new ValidationError(
      `feature set ${options.featureSetId} has no cleaned documents${options.authorId ? ` by author ${options.authorId}` : ''}: the dataset would be empty`,
    );
  const rejectedSource =
    options.kind === 'preference' ? (dependencies.rejectedSource ?? configuredRejectedSource(config)) : null;
  const authorName = await authorNameOf(metadata, documents);

  let usage: TokenUsage | null = null;
  const dropped: Record<string, number> = {};
  const count = (counts: Record<string, number | undefined>) => {
    for (const [reason, number] of Object.entries(counts))
      if (number) dropped[reason] = (dropped[reason] ?? 0) + number;
  };

  await progress(0.05, `generating pairs from ${documents.length} documents (${options.generator})`);
  let generated: InstructionExample[];
  let generator: DatasetRecipe['generator'];
  if (options.generator === 'llm') {
    const endpoint = config.generator;
    if (!endpoint)
      throw new ConfigError([
        'training.generator is null: set it to an OpenAI-compatible endpoint to generate with an LLM, or use the offline generator',
      ]);
    const result = await generateLlmInstructions(documents, {
      endpoint,
      authorName,
      logger,
      signal,
      onProgress: (done, total) =>
        report(0.05 + 0.6 * (done / total), `LLM pairs: ${done}/${total} passages`),
    });
    generated = result.examples;
    usage = { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens };
    count(result.dropped);
    generator = {
      name: 'llm',
      version: llmGeneratorVersion,
      model: endpoint.model,
      prompts: { ...llmPrompts },
    };
  } else {
    generated = generateOfflineInstructions(documents, {
      maxAnswerCharacters: config.datasets.maxAnswerCharacters,
    });
    generator = {
      name: 'offline',
      version: offlineGeneratorVersion,
      model: null,
      prompts: { ...offlinePrompts },
    };
  }

  await progress(0.65, `filtering ${generated.length} pairs`);
  const filters = {
    minAnswerCharacters: config.datasets.minAnswerCharacters,
    maxAnswerCharacters: config.datasets.maxAnswerCharacters,
    nearDuplicateThreshold: config.datasets.nearDuplicateThreshold,
  };
  const filtered = filterExamples(generated, filters);
  count(filtered.dropped);

  let examples: (InstructionExample | PreferenceExample)[] = filtered.kept;
  if (rejectedSource) {
    await progress(0.7, `writing ${filtered.kept.length} generic answers (${rejectedSource.name})`);
    const preferences = await generatePreferences(filtered.kept, rejectedSource, {
      concurrency: config.generator?.concurrency ?? 1,
      signal,
      onProgress: (done, total) => report(0.7 + 0.2 * (done / total), `generic answers: ${done}/${total}`),
    });
    examples = preferences.examples;
    count(preferences.dropped);
    generator = {
      ...generator,
      prompts: {
        ...generator.prompts,
        'rejected:source': rejectedSource.name,
        'rejected:prompt': rejectedSource.prompt,
      },
    };
    const spent = rejectedSource.usage?.();
    if (spent) usage = addUsage(usage ?? noUsage, spent);
  }
  if (examples.length === 0)
    throw new ValidationError(
      `every generated pair was filtered out (${JSON.stringify(dropped)}): the dataset would be empty`,
    );

  await progress(0.92, 'splitting and storing');
  const recipe: DatasetRecipe = {
    kind: options.kind,
    featureSetId: options.featureSetId,
    authorId: options.authorId ?? null,
    generator,
    filters,
    split: { testFraction: config.datasets.testFraction, seed: config.datasets.seed },
  };
  const splits: DatasetSplits<InstructionExample | PreferenceExample> = splitDataset(examples, recipe.split);
  const id = datasetId(recipe, splits);
  const artifactKey = datasetArtifactKey(id);

  const existing = await metadata.datasets.get(id);
  if (existing) {
    // The same recipe and examples were built before; put back examples someone deleted.
    if (!(await artifacts.exists(existing.artifactKey)))
      await artifacts.put(existing.artifactKey, examplesJson(splits));
    await progress(1, `dataset ${id} already exists`);
    logger.info('dataset already exists', { datasetId: id });
    return { dataset: existing, created: false };
  }

  await artifacts.put(artifactKey, examplesJson(splits));
  const dataset = await metadata.datasets.save({
    id,
    recipe,
    sourceDocumentIds: [...new Set(examples.map((example) => example.sourceDocumentId))].sort(),
    sizes: { train: splits.train.length, test: splits.test.length },
    dropped,
    usage: usage && usageSummary(usage, config.generator ?? unknownPrices),
    artifactKey,
    createdAt: (dependencies.now?.() ?? new Date()).toISOString(),
  });
  await progress(1, `dataset ${id}: ${dataset.sizes.train} train, ${dataset.sizes.test} test`);
  logger.info('dataset built', { datasetId: id, ...dataset.sizes, dropped });
  return { dataset, created: true };
}

const unknownPrices = { inputCostPerMillion: null, outputCostPerMillion: null };

function configuredRejectedSource(config: TwinConfig['training']): RejectedAnswerSource {
  if (!config.generator)
    throw new ConfigError([
      'a preference dataset needs a model to write the generic (rejected) answers: set training.generator to an OpenAI-compatible endpoint, or give the build a local model',
    ]);
  return new LlmRejectedAnswerSource(config.generator);
}

/** The author's name for the prompts, when every document has the same author. */
async function authorNameOf(
  metadata: MetadataStore,
  documents: readonly CleanedDocument[],
): Promise<string | null> {
  const ids = new Set(documents.map((document) => document.authorId));
  if (ids.size !== 1) return null;
  const [id] = ids;
  const authors = await metadata.documents.listAuthors();
  return authors.find((author) => author.id === id)?.name ?? null;
}

function examplesJson(splits: DatasetSplits<unknown>): string {
  return `${JSON.stringify({ train: splits.train, test: splits.test })}\n`;
}
