import type { Logger } from '../logger.ts';
import type { Dataset, DatasetSplits, InstructionExample } from '../types/dataset.ts';
import type { LossPoint, ModelArtifact, ModelVersion } from '../types/model-version.ts';
import type { ArtifactStore } from './artifact-store.ts';

export type FineTuneRequest = {
  jobId: string;
  /** Registry name the result will be registered under. */
  modelName: string;
  dataset: Dataset;
  examples: DatasetSplits<InstructionExample>;
  /** Backend-specific base model (an OpenAI model name, a Hugging Face id); null for the default. */
  baseModel: string | null;
  /** The version to warm-start from (a fine-tune of a fine-tune), when given. */
  parent: ModelVersion | null;
  /** Already validated by `parseHyperparameters`. */
  hyperparameters: Record<string, unknown>;
};

export type FineTuneContext = {
  artifacts: ArtifactStore;
  logger: Logger;
  signal: AbortSignal;
  progress(fraction: number, message?: string): Promise<void>;
  log(message: string): Promise<void>;
  /** Called with each new loss point, so the terminal can draw the curve as it grows. */
  onLoss?(point: LossPoint): void;
};

export type FineTuneResult = {
  artifact: ModelArtifact;
  baseModel: string | null;
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, number>;
  lossCurve: LossPoint[];
};

/** Something that turns an instruction dataset into a model: local CPU trainer, OpenAI, a command. */
export interface FineTuneBackend {
  readonly name: string;
  /** Validates and completes hyper-parameters with defaults; throws ValidationError listing problems. */
  parseHyperparameters(input: Record<string, unknown>): Record<string, unknown>;
  train(request: FineTuneRequest, context: FineTuneContext): Promise<FineTuneResult>;
}
