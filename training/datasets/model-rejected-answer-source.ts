import type { TwinConfig } from '../../core/config/config-schema.ts';
import { modelEndpoints } from '../../core/config/model-endpoints.ts';
import type { Logger } from '../../core/logger.ts';
import { collectStream } from '../../core/models/collect-stream.ts';
import { openModel } from '../../core/models/open-model.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import { TextGeneratorRejectedAnswerSource } from './text-generator-rejected-answer-source.ts';

/**
 * Generic "rejected" answers from a registered model version (typically a base model that has not
 * learnt the author's voice), opened by core's model runner: a local checkpoint, a GGUF file or an
 * OpenAI-compatible endpoint. The bare instruction is asked, with no system prompt that would
 * steer it towards the twin. `close` frees the model.
 */
export async function modelRejectedAnswerSource(
  version: ModelVersion,
  dependencies: { artifacts: ArtifactStore; config: TwinConfig; logger: Logger },
  options: { maxTokens?: number; temperature?: number } = {},
): Promise<{ source: TextGeneratorRejectedAnswerSource; close(): Promise<void> }> {
  const model = await openModel(version, {
    artifacts: dependencies.artifacts,
    logger: dependencies.logger,
    endpoints: modelEndpoints(dependencies.config.training.backends.openai),
  });
  const maxTokens = options.maxTokens ?? 96;
  const temperature = options.temperature ?? 0.7;
  const source = new TextGeneratorRejectedAnswerSource(
    `model:${version.name}:${version.version}`,
    async (prompt, signal) =>
      (
        await collectStream(
          model.stream({
            messages: [{ role: 'user', content: prompt }],
            maxTokens,
            temperature,
            seed: 11,
            ...(signal ? { signal } : {}),
          }),
        )
      ).text,
  );
  return { source, close: () => model.close() };
}
