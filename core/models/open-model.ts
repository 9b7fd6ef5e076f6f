import { ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ArtifactStore } from '../ports/artifact-store.ts';
import type { RunnableModel } from '../ports/runnable-model.ts';
import type { ModelVersion } from '../types/model-version.ts';
import type { CopyBiasWeights } from './copy-bias.ts';
import { GgufGenerator } from './gguf-generator.ts';
import { LocalModelGenerator } from './local-model-generator.ts';
import { OpenAICompatibleStreamGenerator } from './openai-compatible-stream-generator.ts';

/** How models behind OpenAI-compatible endpoints are reached. */
export type ModelEndpoints = {
  /**
   * The API key to send to an endpoint, or null: a registered model may point at any server, and
   * a key must only ever go to the endpoint it belongs to (see `core/config/model-endpoints.ts`).
   */
  apiKeyFor(baseUrl: string): string | null;
  timeoutMs: number;
  /** Extra attempts on 429, 5xx and connection errors; 2 unless given. */
  retries?: number;
  /** Prompt budget in estimated tokens (the endpoint's tokenizer is unknown here). */
  maxPromptTokens?: number;
};

/** How GGUF files are run by llama.cpp (see GgufGeneratorOptions). */
export type GgufRuntime = {
  threads?: number;
  contextSize?: number;
  gpu?: boolean;
  copyBias?: CopyBiasWeights;
};

export type OpenModelOptions = {
  artifacts: ArtifactStore;
  logger: Logger;
  endpoints: ModelEndpoints;
  gguf?: GgufRuntime;
};

/**
 * The one place that knows how to run a registered model version, by where its artifact is: a
 * local checkpoint (sha256-verified), an OpenAI-compatible endpoint, a GGUF file (sha256-checked).
 * A model folder cannot be run here; the error says how to serve it. The caller closes the model.
 */
export async function openModel(version: ModelVersion, options: OpenModelOptions): Promise<RunnableModel> {
  const { artifacts, logger } = options;
  const artifact = version.artifact;
  const reference = `${version.name}:${version.version}`;
  const id = `${artifact.kind}:${reference}`;
  switch (artifact.kind) {
    case 'local':
      logger.info('loading local model', { model: reference, key: artifact.key });
      return LocalModelGenerator.load(artifacts, artifact, { id, logger });
    case 'openai-compatible': {
      const { endpoints } = options;
      return new OpenAICompatibleStreamGenerator({
        baseUrl: artifact.baseUrl,
        model: artifact.model,
        apiKey: endpoints.apiKeyFor(artifact.baseUrl),
        timeoutMs: endpoints.timeoutMs,
        ...(endpoints.retries === undefined ? {} : { retries: endpoints.retries }),
        ...(endpoints.maxPromptTokens === undefined ? {} : { maxPromptTokens: endpoints.maxPromptTokens }),
      });
    }
    case 'gguf':
      logger.info('loading GGUF model', { model: reference, path: artifact.path });
      return GgufGenerator.load(artifact, { id, logger, ...options.gguf });
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
