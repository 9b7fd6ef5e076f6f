import type { GgufRuntime } from '../models/open-model.ts';
import type { TwinConfig } from './config-schema.ts';

/** How GGUF models run, from `models.threads` and `models.contextSize`. */
export function ggufRuntime(models: TwinConfig['models']): GgufRuntime {
  return { contextSize: models.contextSize, ...(models.threads === null ? {} : { threads: models.threads }) };
}
