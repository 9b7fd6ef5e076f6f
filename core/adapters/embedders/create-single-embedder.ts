import type { EmbedderConfig } from '../../config/config-schema.ts';
import type { Logger } from '../../logger.ts';
import type { Embedder } from '../../ports/embedder.ts';
import { OpenAIEmbedder } from './openai-embedder.ts';
import { TransformersEmbedder } from './transformers-embedder.ts';
import { UseLiteEmbedder } from './use-lite-embedder.ts';

/** Providers that run in this process and so can be spread over worker threads. */
export type LocalEmbedderConfig = Extract<EmbedderConfig, { provider: 'use-lite' | 'transformers' }>;

export function isLocalEmbedderConfig(config: EmbedderConfig): config is LocalEmbedderConfig {
  return config.provider === 'use-lite' || config.provider === 'transformers';
}

/** One in-process embedder for the configured provider; what queries use and what each pool worker runs. */
export async function createSingleEmbedder(
  config: EmbedderConfig,
  options: { logger?: Logger; threads?: number } = {},
): Promise<Embedder> {
  switch (config.provider) {
    case 'use-lite':
      return UseLiteEmbedder.create({ maxBatchSize: config.batchSize });
    case 'transformers':
      return TransformersEmbedder.create({
        modelPath: config.modelPath,
        pooling: config.pooling,
        normalize: config.normalize,
        quantized: config.quantized,
        maxBatchSize: config.batchSize,
        ...(options.threads ? { threads: options.threads } : {}),
      });
    case 'openai':
      return OpenAIEmbedder.create({
        baseUrl: config.baseUrl,
        model: config.model,
        apiKey: config.apiKey,
        dimensions: config.dimensions,
        maxBatchSize: config.batchSize,
        timeoutMs: config.timeoutMs,
        retries: config.retries,
        ...(options.logger ? { logger: options.logger } : {}),
      });
  }
}
