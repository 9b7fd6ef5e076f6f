import { type OpenModelOptions, openModel } from '../../core/models/open-model.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import { ExtractiveGenerator, type ExtractiveGeneratorOptions } from './extractive-generator.ts';
import type { TwinGenerator } from './twin-generator.ts';
import { withCitations } from './with-citations.ts';
import { withExtractiveFallback } from './with-extractive-fallback.ts';

/** What opening a registered model takes: the artifact store, a logger, how endpoints are reached. */
export type GeneratorDependencies = OpenModelOptions;

export type CreateGeneratorOptions = {
  extractive?: ExtractiveGeneratorOptions;
  /** Answer extractively when a remote endpoint cannot be reached (see withExtractiveFallback). */
  fallbackToExtractive?: boolean;
};

/**
 * The generator that serves a registered model version, opened by core's model runner (local
 * checkpoint, OpenAI-compatible endpoint, GGUF file), its citations checked against the passages
 * it was given. With no version (none registered or aliased) it is the extractive fallback.
 */
export async function createGenerator(
  version: ModelVersion | null,
  dependencies: GeneratorDependencies,
  options: CreateGeneratorOptions = {},
): Promise<TwinGenerator> {
  if (!version) return new ExtractiveGenerator(options.extractive);
  // Models cite as well as they can; the attributor makes what the reader sees true.
  const model = withCitations(await openModel(version, dependencies));
  return options.fallbackToExtractive
    ? withExtractiveFallback(model, { logger: dependencies.logger })
    : model;
}
