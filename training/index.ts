/** The training pipeline's public surface: datasets → fine-tune jobs → model registry → evaluation. */
export { CommandFineTuneBackend } from './backends/command-fine-tune-backend.ts';
export { LocalFineTuneBackend } from './backends/local-fine-tune-backend.ts';
export { LoraFineTuneBackend } from './backends/lora-fine-tune-backend.ts';
export { renderLossCurveAscii } from './backends/loss-curve-ascii.ts';
export { OpenAIFineTuneBackend } from './backends/openai-fine-tune-backend.ts';
export * from './datasets/index.ts';
export type { Evaluation, EvaluationMetrics } from './evaluation/evaluate-model.ts';
export {
  type EvaluateVersionOptions,
  evaluateAnswers,
  evaluateVersion,
} from './evaluation/evaluate-version.ts';
export { runFineTune } from './fine-tune/run-fine-tune.ts';
export { registerTrainingJobs } from './jobs/register-training-jobs.ts';
export type { TrainingDependencies } from './training-dependencies.ts';
