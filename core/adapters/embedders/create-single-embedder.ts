import type { EmbedderConfig } from '../../config/config-schema.ts';
import type { Logger } from '../../logger.ts';
import type { Embedder } from '../../ports/embedder.ts';

/** Providers that run in this process and so can be spread over worker threads. */
export type LocalEmbedderConfig = Extract<EmbedderConfig, { provider: 'use-lite' | 'transformers' }>;

export function isLocalEmbedderConfig(config: EmbedderConfig): config is LocalEmbedderConfig {
  return config.provider === 'use-lite' || config.provider === 'transformers';
}

/**
 * One in-process embedder for the configured provider; what queries use and what each pool worker
 * runs. Adapters are imported on demand: loading transformers.js and onnxruntime costs most of a
 * second, which every CLI command would otherwise pay whichever provider is configured.
 */
export async function createSingleEmbedder(
  config: EmbedderConfig,
  options: { logger?: Logger; threads?: number } = {},
): Promise<Embedder> {
  switch (config.provider) {
    case 'use-lite': {
      const { UseLiteEmbedder } = await import('./use-lite-embedder.ts');
      return UseLiteEmbedder.create({ maxBatchSize: config.batchSize });
    }
    case 'transformers': {
      const { TransformersEmbedder } = await import('./transformers-embedder.ts');
      return TransformersEmbedder.create({
        modelPath: config.modelPath,
        pooling: config.pooling,
        normalize: config.normalize,
        quantized: config.quantized,
        maxBatchSize: config.batchSize,
        ...(options.threads ? { threads: options.threads } : {}),
      });
    }
    case 'openai': {
      const { OpenAIEmbedder } = await import('./openai-embedder.ts');
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
}
