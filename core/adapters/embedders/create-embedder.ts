import { availableParallelism } from 'node:os';
import type { EmbedderConfig } from '../../config/config-schema.ts';
import type { Logger } from '../../logger.ts';
import type { Embedder } from '../../ports/embedder.ts';
import { createSingleEmbedder, isLocalEmbedderConfig } from './create-single-embedder.ts';
import { EmbedderPool } from './embedder-pool.ts';

/**
 * The embedder the configuration asks for. `bulk` (feature builds) runs a local model on worker
 * threads (`workers`, 0 = one per core), always off the main thread, even with one worker: a long
 * build must leave the event loop free, or a queue worker misses renewing its job's lock and the
 * job is taken for stalled. Queries use one in-process embedder. Both give the same id and the
 * same vectors, so features and queries always embed alike.
 */
export async function createEmbedder(
  config: EmbedderConfig,
  options: { bulk?: boolean; logger?: Logger } = {},
): Promise<Embedder> {
  if (options.bulk && isLocalEmbedderConfig(config)) {
    const workers = config.workers === 0 ? availableParallelism() : config.workers;
    return EmbedderPool.create({ config, workers, ...(options.logger ? { logger: options.logger } : {}) });
  }
  return createSingleEmbedder(config, options.logger ? { logger: options.logger } : {});
}
