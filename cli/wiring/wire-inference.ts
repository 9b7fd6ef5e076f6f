import type { TwinConfig } from '../../core/config/config-schema.ts';
import { inferenceConfig } from '../../core/config/inference-config.ts';
import { modelEndpoints } from '../../core/config/model-endpoints.ts';
import {
  createInferenceDependencies,
  type InferenceDependencies,
  type InferenceInputs,
  registerInferenceJobs,
} from '../../inference/index.ts';

/**
 * The inference pipeline, wired from the loaded configuration: its config slice, the endpoints of
 * registered models (reached with the OpenAI settings' key and timeout), its dependencies, and its
 * batch job registered on the queue. The caller closes the returned dependencies.
 */
export function wireInference(
  config: TwinConfig,
  stores: Omit<InferenceInputs, 'config' | 'endpoints'>,
): InferenceDependencies {
  const inference = createInferenceDependencies({
    ...stores,
    config: inferenceConfig(config),
    endpoints: modelEndpoints(config.training.backends.openai),
  });
  registerInferenceJobs(inference);
  return inference;
}
