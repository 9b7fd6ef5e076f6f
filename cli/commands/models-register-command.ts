import { Command } from 'commander';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { inspectGgufFile } from '../../core/models/inspect-gguf-file.ts';
import type { ModelRegistry } from '../../core/ports/model-registry.ts';
import { ggufAdapterArtifact } from '../../core/registry/gguf-adapter-artifact.ts';
import { parseModelReference } from '../../core/registry/model-reference.ts';
import { resolveBaseModel } from '../../core/registry/resolve-base-model.ts';
import type { ModelArtifact } from '../../core/types/model-version.ts';
import { print, withRuntime } from '../cli-context.ts';

type RegisterOptions = {
  openaiModel?: string;
  baseUrl: string;
  gguf?: string;
  ggufAdapter?: string;
  base?: string;
  featureSet?: string;
  by?: string;
};

const examples = `
Examples:
  $ twin models register twin --openai-model ft:gpt-4o-mini:acme:twin:abc123
  $ twin models register twin --gguf ./models/twin.Q4_K_M.gguf
  $ twin models register twin --gguf-adapter ./models/twin-lora.gguf --base smollm2-135m-instruct:1
`;

/**
 * `twin models register <name>`: registers a model trained elsewhere: an OpenAI-compatible model,
 * a local GGUF file, or a LoRA adapter GGUF on a registered GGUF base model (checked to fit it and
 * pinned to its sha256).
 */
export function modelsRegisterCommand(): Command {
  return new Command('register')
    .description(
      'register a model not trained here: an OpenAI-compatible model, a local GGUF file, or a LoRA adapter on a registered GGUF base',
    )
    .argument('<name>', 'model name')
    .option('--openai-model <model>', 'model id served by an OpenAI-compatible endpoint')
    .option('--base-url <url>', 'the endpoint’s base URL (with --openai-model)', 'https://api.openai.com/v1')
    .option('--gguf <path>', 'a local GGUF file')
    .option('--gguf-adapter <path>', 'a llama.cpp LoRA adapter GGUF, served on --base')
    .option(
      '--base <model>',
      'the GGUF base model the adapter was trained on: NAME:VERSION, NAME@ALIAS, or NAME for its newest version',
    )
    .option('--feature-set <id>', 'feature set to serve it with (default: the current one)')
    .option('--by <who>', 'recorded as the creator (default: training.actor from config)')
    .addHelpText('after', examples)
    .action(async function (this: Command, name: string, options: RegisterOptions) {
      parseModelReference(name);
      if ([options.openaiModel, options.gguf, options.ggufAdapter].filter(Boolean).length !== 1)
        throw new ValidationError('give exactly one of --openai-model, --gguf or --gguf-adapter');
      if (Boolean(options.ggufAdapter) !== Boolean(options.base))
        throw new ValidationError(
          options.base
            ? '--base goes with --gguf-adapter: it names the base model an adapter was trained on'
            : '--gguf-adapter needs --base NAME[:VERSION], the GGUF base model the adapter was trained on',
        );
      await withRuntime(this, async (runtime) => {
        const { artifact, baseModel } = await artifactFor(options, runtime.metadata.models);
        const featureSetId = options.featureSet ?? (await runtime.currentFeatureSet()).id;
        if (!(await runtime.metadata.featureSets.get(featureSetId))) {
          throw new NotFoundError(`feature set ${featureSetId} not found (see \`twin features list\`)`);
        }
        const version = await runtime.metadata.models.register({
          name,
          backend: artifact.kind,
          baseModel,
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
        const on = artifact.kind === 'gguf-adapter' ? ` on ${baseModel}` : '';
        print(
          `registered ${version.name}:${version.version} (${version.backend}${on}) serving feature set ${featureSetId}`,
        );
      });
    });
}

/** The artifact the options describe, and the base model it names (`baseModel`). */
async function artifactFor(
  options: RegisterOptions,
  models: ModelRegistry,
): Promise<{ artifact: ModelArtifact; baseModel: string | null }> {
  if (options.gguf) {
    const { path, sha256 } = await inspectGgufFile(options.gguf);
    return { artifact: { kind: 'gguf', path, sha256 }, baseModel: null };
  }
  if (options.ggufAdapter) {
    const base = await resolveBaseModel(models, options.base as string);
    return {
      artifact: await ggufAdapterArtifact(base, options.ggufAdapter),
      baseModel: `${base.name}:${base.version}`,
    };
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(options.baseUrl);
  } catch {
    throw new ValidationError(`--base-url is not a URL: ${options.baseUrl}`);
  }
  const model = options.openaiModel as string;
  return {
    artifact: { kind: 'openai-compatible', baseUrl: baseUrl.toString().replace(/\/$/, ''), model },
    baseModel: model,
  };
}
