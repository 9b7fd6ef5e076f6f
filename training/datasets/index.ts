/** Dataset generation: feature store → versioned instruction and preference datasets → fine-tuning files. */

export {
  type BuildDatasetDependencies,
  type BuildDatasetOptions,
  type BuildDatasetResult,
  buildDataset,
} from './build-dataset.ts';
export { datasetArtifactKey, datasetId } from './dataset-id.ts';
export {
  defaultSystemPrompt,
  type ExportFormat,
  type ExportOptions,
  type ExportSplit,
  exportDataset,
} from './export-dataset.ts';
export { type DropReason, type FilterOptions, type FilterResult, filterExamples } from './filters.ts';
export {
  generateLlmInstructions,
  type LlmGeneratorOptions,
  type LlmGeneratorResult,
  llmGeneratorVersion,
  llmPrompts,
} from './llm-instruction-generator.ts';
export { genericAnswerPrompts, LlmRejectedAnswerSource } from './llm-rejected-answer-source.ts';
export { type DatasetExamples, loadDatasetExamples } from './load-dataset-examples.ts';
export { modelRejectedAnswerSource } from './model-rejected-answer-source.ts';
export {
  generateOfflineInstructions,
  type OfflineGeneratorOptions,
  type OfflineKind,
  offlineGeneratorVersion,
  offlinePrompts,
} from './offline-instruction-generator.ts';
export {
  generatePreferences,
  type PreferenceGeneratorOptions,
  type PreferenceGeneratorResult,
} from './preference-generator.ts';
export type { RejectedAnswerSource } from './rejected-answer-source.ts';
export { type SplitOptions, splitDataset } from './split-dataset.ts';
export {
  type TextGenerator,
  TextGeneratorRejectedAnswerSource,
} from './text-generator-rejected-answer-source.ts';
export type { TokenUsage, UsageSummary } from './token-usage.ts';
