/**
 * The inference pipeline's public surface: the composition root builds its dependencies with
 * `createInferenceDependencies`, registers its jobs with `registerInferenceJobs`, and serves
 * `createApp`'s HTTP app; `twin search` uses retrieval directly and `twin monitor` the request summaries.
 */
export { createApp } from './api/create-app.ts';
export { registerInferenceJobs } from './batch/register-inference-jobs.ts';
export { createInferenceDependencies } from './create-inference-dependencies.ts';
export {
  answerGrounded,
  evaluateGrounding,
  type GroundedAnswer,
  type GroundingEvaluation,
} from './evaluation/evaluate-grounding.ts';
export type { InferenceDependencies, InferenceInputs } from './inference-dependencies.ts';
export { MetricsRegistry } from './monitoring/metrics-registry.ts';
export { type RequestSummary, sampleQuestions, summariseRequests } from './monitoring/summarise-requests.ts';
export type { SearchMode } from './retrieval/hybrid-search.ts';
export { withConfiguredRetrieval } from './retrieval/retrieval-from-config.ts';
export { retrieve } from './retrieval/retrieve.ts';
export { type Serving, servingFor } from './serving/resolve-serving.ts';
