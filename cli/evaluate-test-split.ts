import type { ModelVersion } from '../core/types/model-version.ts';
import { answerGrounded, servingFor } from '../inference/index.ts';
import {
  type EvaluateVersionOptions,
  type Evaluation,
  evaluateAnswers,
  evaluateVersion,
} from '../training/index.ts';
import type { Runtime } from './runtime.ts';

/**
 * Scores a model version on a dataset's test split, or, for null, the extractive answerer over
 * retrieved passages (what stands in when there is no base model). A version gets the metrics
 * stored on it; the extractive answerer has nowhere to store them.
 */
export async function evaluateTestSplit(
  runtime: Pick<Runtime, 'metadata' | 'artifacts' | 'config' | 'logger' | 'inference' | 'queryEmbedder'>,
  version: ModelVersion | null,
  options: EvaluateVersionOptions,
  progress?: (fraction: number, message?: string) => void,
): Promise<Evaluation> {
  const dependencies = {
    metadata: runtime.metadata,
    artifacts: runtime.artifacts,
    config: runtime.config,
    embedder: await runtime.queryEmbedder(),
    logger: runtime.logger,
    ...(progress ? { progress } : {}),
  };
  if (version) return (await evaluateVersion(version, options, dependencies)).evaluation;
  const generation = { maxTokens: options.maxTokens, temperature: options.temperature };
  const serving = await servingFor(runtime.inference, null);
  return evaluateAnswers(
    { datasetId: options.datasetId, ...(options.limit ? { limit: options.limit } : {}) },
    async (instruction) => (await answerGrounded(runtime.inference, serving, instruction, generation)).answer,
    dependencies,
  );
}
