import type { RetrievalConfig } from '../../core/config/config-schema.ts';
import type { Logger } from '../../core/logger.ts';
import type { ModelEndpoints } from '../../core/models/open-model.ts';
import { ChatJsonClient } from './chat-json-client.ts';
import { CrossEncoderReranker } from './cross-encoder-reranker.ts';
import { LlmQueryUnderstanding } from './llm-query-understanding.ts';
import type { QueryUnderstanding } from './query-understanding.ts';
import type { Reranker } from './rerank.ts';
import type { RetrieveOptions } from './retrieve.ts';

/** The retrieval settings a caller may override per request. */
export type ConfiguredRetrieveOptions = Required<
  Pick<RetrieveOptions, 'k' | 'mode' | 'candidates' | 'expansions' | 'mmrLambda' | 'perCategory'>
>;

/** What retrieval needs beyond the stores, built once from `retrieval` in the configuration. */
export type RetrievalComponents = {
  /** The configured cross-encoder, loaded on first call (and only once); undefined when none is configured. */
  reranker: () => Promise<Reranker | undefined>;
  /** The configured query LLM (self-query and expansion); undefined = rules, no expansion. */
  understanding: QueryUnderstanding | undefined;
  /** Releases the reranker's ONNX session if it was loaded. */
  close: () => Promise<void>;
};

/** The configured k, mode, candidates, expansions, MMR λ and per-category cap as retrieve() options. */
export function retrieveOptionsFromConfig(config: RetrievalConfig): ConfiguredRetrieveOptions {
  return {
    k: config.k,
    mode: config.mode,
    candidates: config.candidates,
    expansions: config.expansions,
    mmrLambda: config.mmrLambda,
    perCategory: config.perCategory,
  };
}

/**
 * Configured values first, then the caller's: a value the caller left undefined (an optional API
 * field nobody sent) does not erase the configured one, which a plain spread would do.
 */
export function withConfiguredRetrieval<T extends RetrieveOptions>(
  config: RetrievalConfig,
  options: T,
): Omit<T, keyof ConfiguredRetrieveOptions> & ConfiguredRetrieveOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...retrieveOptionsFromConfig(config), ...defined } as Omit<T, keyof ConfiguredRetrieveOptions> &
    ConfiguredRetrieveOptions;
}

/**
 * The reranker and query understanding the configuration asks for, shared by the API, batch jobs
 * and the CLI. The cross-encoder is loaded lazily and once: a command that never retrieves does not
 * pay for onnxruntime, while `twin serve` calls `reranker()` before listening so a broken model
 * folder fails at start-up rather than on the first request.
 */
export function retrievalFromConfig(
  config: RetrievalConfig,
  endpoints: Pick<ModelEndpoints, 'apiKeyFor'>,
  logger: Logger,
): RetrievalComponents {
  const { reranker: rerankerConfig, queryLlm } = config;
  let loading: Promise<Reranker> | undefined;
  const reranker = async (): Promise<Reranker | undefined> => {
    if (!rerankerConfig) return undefined;
    if (!loading) {
      logger.info('loading cross-encoder reranker', { path: rerankerConfig.modelPath });
      loading = CrossEncoderReranker.create({
        modelPath: rerankerConfig.modelPath,
        quantized: rerankerConfig.quantized,
        // Leave the second core to the HTTP server and the embedder.
        threads: 1,
      });
      // A failed load is not cached: the error surfaces again on the next call rather than a
      // stale rejection, and a fixed folder is picked up.
      loading.catch(() => {
        loading = undefined;
      });
    }
    return loading;
  };
  const understanding = queryLlm
    ? new LlmQueryUnderstanding(
        new ChatJsonClient({
          ...queryLlm,
          // An explicitly configured key goes where it was configured for; the OpenAI key (from the
          // config or OPENAI_API_KEY) only ever to OpenAI's own origin, never to a local server.
          apiKey: queryLlm.apiKey ?? endpoints.apiKeyFor(queryLlm.baseUrl),
        }),
      )
    : undefined;
  return {
    reranker,
    understanding,
    close: async () => {
      const loaded = loading ? await loading.catch(() => undefined) : undefined;
      loading = undefined;
      await loaded?.close();
    },
  };
}
