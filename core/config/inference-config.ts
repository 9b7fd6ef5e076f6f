import type { GgufRuntime } from '../models/open-model.ts';
import type { RetrievalConfig, ServerConfig, TwinConfig } from './config-schema.ts';
import { ggufRuntime } from './gguf-runtime.ts';

/**
 * The inference pipeline's slice of the configuration: everything it may read. The settings it
 * shares with training are copied in by name here, so inference never reads `config.training`.
 */
export type InferenceConfig = {
  server: ServerConfig;
  retrieval: RetrievalConfig;
  /** Registry name a fine-tune submitted over HTTP gets when the request names none (`training.modelName`). */
  fineTuneModelName: string;
  /** What a gated promotion must beat the current version on (`training.gate`). */
  promotionGate: { metric: string; higherIsBetter: boolean };
  /** How GGUF models run (`models.threads`, `models.contextSize`). */
  gguf: GgufRuntime;
};

/** The inference slice of a loaded configuration. */
export function inferenceConfig(config: TwinConfig): InferenceConfig {
  return {
    server: config.server,
    retrieval: config.retrieval,
    fineTuneModelName: config.training.modelName,
    promotionGate: config.training.gate,
    gguf: ggufRuntime(config.models),
  };
}
