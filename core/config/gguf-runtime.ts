import type { GgufRuntime } from '../models/open-model.ts';
import type { TwinConfig } from './config-schema.ts';

/** How GGUF models run, from `models.threads`, `models.contextSize` and `models.copyBias`. */
export function ggufRuntime(models: TwinConfig['models']): GgufRuntime {
  return {
    contextSize: models.contextSize,
    copyBias: models.copyBias,
    ...(models.threads === null ? {} : { threads: models.threads }),
  };
}
