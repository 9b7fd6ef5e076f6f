import { Command } from 'commander';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { inspectGgufFile } from '../../core/models/inspect-gguf-file.ts';
import { parseModelReference } from '../../core/registry/model-reference.ts';
import type { ModelArtifact } from '../../core/types/model-version.ts';
import { print, withRuntime } from '../cli-context.ts';

/** `twin models register <name>`: registers a model trained elsewhere (an OpenAI-compatible model or a local GGUF file). */
export function modelsRegisterCommand(): Command {
  return new Command('register')
    .description('register a model not trained here: an OpenAI-compatible model or a local GGUF file')
    .argument('<name>', 'model name')
    .option('--openai-model <model>', 'model id served by an OpenAI-compatible endpoint')
    .option('--base-url <url>', 'the endpoint’s base URL (with --openai-model)', 'https://api.openai.com/v1')
    .option('--gguf <path>', 'a local GGUF file')
    .option('--feature-set <id>', 'feature set to serve it with (default: the current one)')
    .option('--by <who>', 'recorded as the creator (default: training.actor from config)')
    .action(async function (
      this: Command,
      name: string,
      options: { openaiModel?: string; baseUrl: string; gguf?: string; featureSet?: string; by?: string },
    ) {
      parseModelReference(name);
      if (Boolean(options.openaiModel) === Boolean(options.gguf)) {
        throw new ValidationError('give exactly one of --openai-model or --gguf');
      }
      await withRuntime(this, async (runtime) => {
        let artifact: ModelArtifact;
        if (options.gguf) {
          const { path, sha256 } = await inspectGgufFile(options.gguf);
          artifact = { kind: 'gguf', path, sha256 };
        } else {
          let baseUrl: URL;
          try {
            baseUrl = new URL(options.baseUrl);
          } catch {
            throw new ValidationError(`--base-url is not a URL: ${options.baseUrl}`);
          }
          artifact = {
            kind: 'openai-compatible',
            baseUrl: baseUrl.toString().replace(/\/$/, ''),
            model: options.openaiModel as string,
          };
        }
        const featureSetId = options.featureSet ?? (await runtime.currentFeatureSet()).id;
        if (!(await runtime.metadata.featureSets.get(featureSetId))) {
          throw new NotFoundError(`feature set ${featureSetId} not found (see \`twin features list\`)`);
        }
        const version = await runtime.metadata.models.register({
          name,
          backend: artifact.kind === 'gguf' ? 'gguf' : 'openai-compatible',
          baseModel: artifact.kind === 'gguf' ? null : artifact.model,
          hyperparameters: {},
          datasetId: null,
          featureSetId,
          parentVersion: null,
          metrics: {},
          lossCurve: [],
          artifact,
          lossCurveKey: null,
          jobId: null,
          createdBy: options.by ?? runtime.config.training.actor,
        });
        print(
          `registered ${version.name}:${version.version} (${version.backend}) serving feature set ${featureSetId}`,
        );
      });
    });
}
