import { createGenerator } from './generation/create-generator.ts';
import { GeneratorCache } from './generation/generator-cache.ts';
import { loadPromptTemplate } from './generation/prompt-template.ts';
import type { InferenceDependencies, InferenceInputs } from './inference-dependencies.ts';
import { MetricsRegistry } from './monitoring/metrics-registry.ts';
import { type RetrievalComponents, retrievalFromConfig } from './retrieval/retrieval-from-config.ts';

/**
 * The inference pipeline's dependencies from its inputs: the configured retrieval components (the
 * cross-encoder loads on first use), a cache of the served versions' generators (with the
 * extractive fallback), the prompt template and a metrics registry. A test may bring its own
 * generator cache or retrieval components.
 */
export function createInferenceDependencies(
  inputs: InferenceInputs,
  options: { generators?: GeneratorCache; retrieval?: RetrievalComponents } = {},
): InferenceDependencies {
  const { endpoints, ...rest } = inputs;
  const { artifacts, logger } = inputs;
  const retrieval = options.retrieval ?? retrievalFromConfig(inputs.config.retrieval, endpoints, logger);
  const generators =
    options.generators ??
    new GeneratorCache({
      capacity: 2,
      logger,
      create: (version) =>
        createGenerator(
          version,
          { artifacts, logger, endpoints, gguf: inputs.config.gguf },
          { fallbackToExtractive: true },
        ),
    });
  return {
    ...rest,
    reranker: retrieval.reranker,
    ...(retrieval.understanding ? { understanding: retrieval.understanding } : {}),
    generators,
    template: loadPromptTemplate(),
    metrics: new MetricsRegistry(),
    close: async () => {
      await generators.close();
      await retrieval.close();
    },
  };
}
