import type { TwinConfig } from '../../core/config/config-schema.ts';
import { keyForEndpoint } from '../../core/config/key-for-endpoint.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { LocalModel } from '../../core/local-model/local-model.ts';
import type { Logger } from '../../core/logger.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import { generateWithChatEndpoint } from '../backends/openai-compatible-generator.ts';
import { loadDatasetExamples } from '../datasets/load-dataset-examples.ts';
import { type Evaluation, evaluateModel } from './evaluate-model.ts';
import { ChatLlmJudge } from './llm-judge.ts';

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
 * The model is driven through whatever its artifact is: the local checkpoint (which also gives
 * perplexity) or an OpenAI-compatible endpoint.
 */
export async function evaluateVersion(
  version: ModelVersion,
  options: EvaluateVersionOptions,
  dependencies: EvaluateVersionDependencies,
): Promise<{ evaluation: Evaluation; version: ModelVersion }> {
  const { metadata, artifacts, config } = dependencies;
  const dataset = await metadata.datasets.get(options.datasetId);
  if (!dataset)
    throw new NotFoundError(`dataset ${options.datasetId} not found (see \`twin datasets list\`)`);
  const examples = await loadDatasetExamples(artifacts, dataset, 'instruction');
  const test = options.limit ? examples.test.slice(0, options.limit) : examples.test;
  if (test.length === 0)
    throw new ValidationError(`dataset ${dataset.id} has no test examples to evaluate on`);
  const featureSetId = version.featureSetId ?? dataset.recipe.featureSetId;
  const featureSet = await metadata.featureSets.get(featureSetId);
  if (!featureSet)
    throw new NotFoundError(`feature set ${featureSetId} of ${version.name}:${version.version} not found`);

  const judge = config.training.judge ? new ChatLlmJudge(config.training.judge) : undefined;
  const common = {
    examples: test,
    embedder: dependencies.embedder,
    featureSet,
    ...(judge ? { judge } : {}),
    ...(dependencies.progress ? { progress: dependencies.progress } : {}),
    ...(dependencies.signal ? { signal: dependencies.signal } : {}),
  };
  const artifact = version.artifact;
  let evaluation: Evaluation;
  switch (artifact.kind) {
    case 'local': {
      const model = await LocalModel.load(artifacts, artifact.key, {
        expectedSha256: artifact.sha256,
        logger: dependencies.logger,
      });
      try {
        evaluation = await evaluateModel({
          ...common,
          concurrency: 1,
          generate: async (instruction, signal) =>
            (
              await model.complete(instruction, {
                maxTokens: options.maxTokens,
                temperature: options.temperature,
                seed: 7,
                ...(signal ? { signal } : {}),
              })
            ).text,
          score: async (instruction, answer) => {
            const scored = model.score(instruction, answer);
            return { logProbability: scored.logProb, tokens: scored.tokens };
          },
        });
      } finally {
        model.dispose();
      }
      break;
    }
    case 'openai-compatible': {
      const openai = config.training.backends.openai;
      const endpoint = {
        baseUrl: artifact.baseUrl,
        model: artifact.model,
        // The OpenAI key is only sent to the endpoint it belongs to.
        apiKey: keyForEndpoint(artifact.baseUrl, openai),
        timeoutMs: openai.timeoutMs,
      };
      evaluation = await evaluateModel({
        ...common,
        concurrency: 4,
        generate: (instruction, signal) =>
          generateWithChatEndpoint(endpoint, instruction, {
            maxTokens: options.maxTokens,
            temperature: options.temperature,
            systemPrompt: twinSystemPrompt(version.name),
            ...(signal ? { signal } : {}),
          }),
      });
      break;
    }
    case 'gguf':
    case 'folder':
      throw new ValidationError(
        `${version.name}:${version.version} is a ${artifact.kind} model; evaluate it by registering the server that runs it (an OpenAI-compatible endpoint such as llama.cpp server or vLLM) with \`twin models register --openai-model\``,
      );
    default: {
      const unreachable: never = artifact;
      throw new Error(`unknown artifact ${JSON.stringify(unreachable)}`);
    }
  }
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(evaluation.metrics)) {
    if (typeof value === 'number' && Number.isFinite(value))
      metrics[key === 'examples' ? 'evalExamples' : key] = value;
  }
  const updated = await metadata.models.updateMetrics(version.name, version.version, metrics);
  return { evaluation, version: updated };
}
