import type { TwinConfig } from '../../core/config/config-schema.ts';
import { keyForEndpoint } from '../../core/config/key-for-endpoint.ts';
import { ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import { ExtractiveGenerator, type ExtractiveGeneratorOptions } from './extractive-generator.ts';
import { GgufGenerator } from './gguf-generator.ts';
import { LocalModelGenerator } from './local-model-generator.ts';
import { OpenAICompatibleGenerator } from './openai-compatible-generator.ts';
import type { TwinGenerator } from './twin-generator.ts';
import { withExtractiveFallback } from './with-extractive-fallback.ts';

export type GeneratorDependencies = { artifacts: ArtifactStore; config: TwinConfig; logger: Logger };

export type CreateGeneratorOptions = {
  openai?: { timeoutMs?: number; retries?: number; maxPromptTokens?: number };
  gguf?: { threads?: number; contextSize?: number; gpu?: boolean };
  extractive?: ExtractiveGeneratorOptions;
  /** Answer extractively when a remote endpoint cannot be reached (see withExtractiveFallback). */
  fallbackToExtractive?: boolean;
};

/**
 * The generator that serves a registered model version, chosen by where its artifact is: a local
 * checkpoint (sha256-verified), an OpenAI-compatible endpoint, a GGUF file. With no version (none
 * registered or aliased) it is the extractive fallback.
 */
export async function createGenerator(
  version: ModelVersion | null,
  dependencies: GeneratorDependencies,
  options: CreateGeneratorOptions = {},
): Promise<TwinGenerator> {
  if (!version) return new ExtractiveGenerator(options.extractive);
  const { artifacts, config, logger } = dependencies;
  const artifact = version.artifact;
  const reference = `${version.name}:${version.version}`;
  const id = `${artifact.kind}:${reference}`;
  switch (artifact.kind) {
    case 'local':
      logger.info('loading local model', { model: reference, key: artifact.key });
      return LocalModelGenerator.load(artifacts, artifact, { id, logger });
    case 'openai-compatible': {
      const openai = config.training.backends.openai;
      const generator = new OpenAICompatibleGenerator({
        baseUrl: artifact.baseUrl,
        model: artifact.model,
        // The OpenAI key is only ever sent to the endpoint it belongs to.
        apiKey: keyForEndpoint(artifact.baseUrl, openai),
        timeoutMs: options.openai?.timeoutMs ?? openai.timeoutMs,
        ...(options.openai?.retries === undefined ? {} : { retries: options.openai.retries }),
        ...(options.openai?.maxPromptTokens === undefined
          ? {}
          : { maxPromptTokens: options.openai.maxPromptTokens }),
      });
      return options.fallbackToExtractive ? withExtractiveFallback(generator, { logger }) : generator;
    }
    case 'gguf':
      logger.info('loading GGUF model', { model: reference, path: artifact.path });
      return GgufGenerator.load(artifact.path, { id, sha256: artifact.sha256, logger, ...options.gguf });
    case 'folder':
      throw new ValidationError(
        `${reference} is a model folder (${artifact.path}), which this server cannot run itself: serve it with an OpenAI-compatible server (vLLM: \`vllm serve ${artifact.path}\`; or convert it to GGUF and run llama.cpp’s llama-server) and register that endpoint with \`twin models register --openai-model <served name> --base-url <url>/v1\``,
      );
    default: {
      const unreachable: never = artifact;
      throw new Error(`unknown artifact ${JSON.stringify(unreachable)}`);
    }
  }
}
