import type { TwinConfig } from '../../core/config/config-schema.ts';
import { keyForEndpoint } from '../../core/config/key-for-endpoint.ts';
import { ValidationError } from '../../core/errors.ts';
import { LocalModel } from '../../core/local-model/local-model.ts';
import type { Logger } from '../../core/logger.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import { generateWithChatEndpoint } from '../backends/openai-compatible-generator.ts';
import { TextGeneratorRejectedAnswerSource } from './text-generator-rejected-answer-source.ts';

/**
 * Generic "rejected" answers from a registered model version (typically a base model that has not
 * learnt the author's voice): the local checkpoint or an OpenAI-compatible endpoint. `close` frees
 * a loaded checkpoint.
 */
export async function modelRejectedAnswerSource(
  version: ModelVersion,
  dependencies: { artifacts: ArtifactStore; config: TwinConfig; logger: Logger },
  options: { maxTokens?: number; temperature?: number } = {},
): Promise<{ source: TextGeneratorRejectedAnswerSource; close(): void }> {
  const name = `model:${version.name}:${version.version}`;
  const maxTokens = options.maxTokens ?? 96;
  const temperature = options.temperature ?? 0.7;
  const artifact = version.artifact;
  switch (artifact.kind) {
    case 'local': {
      const model = await LocalModel.load(dependencies.artifacts, artifact.key, {
        expectedSha256: artifact.sha256,
        logger: dependencies.logger,
      });
      const source = new TextGeneratorRejectedAnswerSource(name, async (prompt, signal) => {
        const answer = await model.complete(prompt, {
          maxTokens,
          temperature,
          seed: 11,
          ...(signal ? { signal } : {}),
        });
        return answer.text;
      });
      return { source, close: () => model.dispose() };
    }
    case 'openai-compatible': {
      const openai = dependencies.config.training.backends.openai;
      const endpoint = {
        baseUrl: artifact.baseUrl,
        model: artifact.model,
        apiKey: keyForEndpoint(artifact.baseUrl, openai),
        timeoutMs: openai.timeoutMs,
      };
      const source = new TextGeneratorRejectedAnswerSource(name, (prompt, signal) =>
        generateWithChatEndpoint(endpoint, prompt, { maxTokens, temperature, ...(signal ? { signal } : {}) }),
      );
      return { source, close: () => {} };
    }
    default:
      throw new ValidationError(
        `${version.name}:${version.version} is a ${artifact.kind} model; rejected answers need a local checkpoint or an OpenAI-compatible endpoint`,
      );
  }
}
