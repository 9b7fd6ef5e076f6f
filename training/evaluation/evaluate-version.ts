import type { TwinConfig } from '../../core/config/config-schema.ts';
import { ggufRuntime } from '../../core/config/gguf-runtime.ts';
import { modelEndpoints } from '../../core/config/model-endpoints.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { collectStream } from '../../core/models/collect-stream.ts';
import { openModel } from '../../core/models/open-model.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { ChatMessage } from '../../core/ports/generator.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import { canScore } from '../../core/ports/runnable-model.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import type { InstructionExample } from '../../core/types/dataset.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import { loadDatasetExamples } from '../datasets/load-dataset-examples.ts';
import { type Evaluation, evaluateModel } from './evaluate-model.ts';
import { ChatLlmJudge } from './llm-judge.ts';
import { spreadAcrossDocuments } from './spread-across-documents.ts';

export type EvaluateVersionOptions = {
  datasetId: string;
  /** Evaluate on at most this many test examples (all when absent). */
  limit?: number;
  maxTokens: number;
  temperature: number;
};

export type EvaluateVersionDependencies = {
  metadata: MetadataStore;
  artifacts: ArtifactStore;
  config: TwinConfig;
  /** The query embedder; it must be the feature set's embedder (checked). */
  embedder: Embedder;
  logger: Logger;
  progress?: (fraction: number, message?: string) => Promise<void> | void;
  signal?: AbortSignal;
};

/**
 * Evaluates a registered version on a dataset's test split and stores the metrics on the version.
 * The model is opened by core's model runner, whatever its artifact (local checkpoint, GGUF file,
 * OpenAI-compatible endpoint); perplexity is measured where the model can score answers.
 */
export async function evaluateVersion(
  version: ModelVersion,
  options: EvaluateVersionOptions,
  dependencies: EvaluateVersionDependencies,
): Promise<{ evaluation: Evaluation; version: ModelVersion }> {
  const { metadata, artifacts, config } = dependencies;
  const { test, featureSet } = await loadEvaluationInputs(options, version.featureSetId, dependencies);

  const judge = config.training.judge ? new ChatLlmJudge(config.training.judge) : undefined;
  const common = {
    examples: test,
    embedder: dependencies.embedder,
    featureSet,
    ...(judge ? { judge } : {}),
    ...(dependencies.progress ? { progress: dependencies.progress } : {}),
    ...(dependencies.signal ? { signal: dependencies.signal } : {}),
  };
  const model = await openModel(version, {
    artifacts,
    logger: dependencies.logger,
    endpoints: modelEndpoints(config.training.backends.openai),
    gguf: ggufRuntime(config.models),
  });
  let evaluation: Evaluation;
  try {
    // Asked as the model was fine-tuned (the twin's system prompt); a local checkpoint reads
    // only the instruction, as it was trained.
    const messagesFor = (instruction: string): ChatMessage[] => [
      { role: 'system', content: twinSystemPrompt(version.name) },
      { role: 'user', content: instruction },
    ];
    evaluation = await evaluateModel({
      ...common,
      concurrency: model.capabilities.concurrency,
      generate: async (instruction, signal) =>
        (
          await collectStream(
            model.stream({
              messages: messagesFor(instruction),
              maxTokens: options.maxTokens,
              temperature: options.temperature,
              seed: 7,
              ...(signal ? { signal } : {}),
            }),
          )
        ).text,
      ...(canScore(model)
        ? {
            score: (instruction: string, answer: string, signal?: AbortSignal) =>
              model.score({ messages: messagesFor(instruction), answer, ...(signal ? { signal } : {}) }),
          }
        : {}),
    });
  } finally {
    await model.close();
  }
  if (!canScore(model))
    dependencies.logger.info('no perplexity for this model', {
      model: `${version.name}:${version.version}`,
      reason: model.capabilities.scoreUnavailable,
    });
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(evaluation.metrics)) {
    if (typeof value === 'number' && Number.isFinite(value))
      metrics[key === 'examples' ? 'evalExamples' : key] = value;
  }
  const updated = await metadata.models.updateMetrics(version.name, version.version, metrics);
  return { evaluation, version: updated };
}

/**
 * A dataset's test split (at most `limit` examples, spread across its documents) and the feature set to measure style in: the
 * version's own, else the dataset's.
 */
export async function loadEvaluationInputs(
  options: { datasetId: string; limit?: number },
  featureSetId: string | null,
  dependencies: Pick<EvaluateVersionDependencies, 'metadata' | 'artifacts'>,
): Promise<{ test: InstructionExample[]; featureSet: FeatureSet }> {
  const { metadata, artifacts } = dependencies;
  const dataset = await metadata.datasets.get(options.datasetId);
  if (!dataset)
    throw new NotFoundError(`dataset ${options.datasetId} not found (see \`twin datasets list\`)`);
  const examples = await loadDatasetExamples(artifacts, dataset, 'instruction');
  const test = options.limit ? spreadAcrossDocuments(examples.test, options.limit) : examples.test;
  if (test.length === 0)
    throw new ValidationError(`dataset ${dataset.id} has no test examples to evaluate on`);
  const id = featureSetId ?? dataset.recipe.featureSetId;
  const featureSet = await metadata.featureSets.get(id);
  if (!featureSet) throw new NotFoundError(`feature set ${id} not found`);
  return { test, featureSet };
}

/**
 * Scores answers that come from elsewhere (the extractive baseline, which answers from retrieved
 * passages) on a dataset's test split with the same metrics as a model version; stores nothing.
 */
export async function evaluateAnswers(
  options: { datasetId: string; limit?: number },
  generate: (instruction: string, signal?: AbortSignal) => Promise<string>,
  dependencies: Pick<
    EvaluateVersionDependencies,
    'metadata' | 'artifacts' | 'embedder' | 'progress' | 'signal'
  >,
): Promise<Evaluation> {
  const { test, featureSet } = await loadEvaluationInputs(options, null, dependencies);
  return evaluateModel({
    examples: test,
    generate,
    embedder: dependencies.embedder,
    featureSet,
    ...(dependencies.progress ? { progress: dependencies.progress } : {}),
    ...(dependencies.signal ? { signal: dependencies.signal } : {}),
  });
}
