import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NotFoundError, ValidationError } from '../errors.ts';
import { fileSha256 } from '../hashing.ts';
import { checkLoraAdapter } from '../models/gguf/check-lora-adapter.ts';
import type { GgufAdapterArtifact, ModelVersion } from '../types/model-version.ts';

/**
 * The artifact of a new version that serves the LoRA adapter at `adapterPath` on the registered
 * GGUF `base` (used in place, never copied). Refuses a base that is not a hash-pinned GGUF file, a
 * base file that no longer hashes as registered, and an adapter that llama.cpp could not load on
 * it (checkLoraAdapter): what is registered is known to fit.
 */
export async function ggufAdapterArtifact(
  base: ModelVersion,
  adapterPath: string,
): Promise<GgufAdapterArtifact> {
  const reference = `${base.name}:${base.version}`;
  const { artifact } = base;
  if (artifact.kind !== 'gguf')
    throw new ValidationError(
      `${reference} is not a GGUF base model (its artifact is ${artifact.kind}): a LoRA adapter runs on a GGUF file`,
    );
  if (!artifact.sha256)
    throw new ValidationError(
      `${reference} was registered without a sha256, so an adapter could not be pinned to it: register the file again with \`twin models pull file:${artifact.path}\``,
    );
  const path = resolve(adapterPath);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new NotFoundError(`LoRA adapter file ${path} not found`);
  if (!info.isFile()) throw new ValidationError(`${path} is not a file`);
  const baseSha256 = await fileSha256(artifact.path).catch(() => {
    throw new NotFoundError(`the file of base model ${reference}, ${artifact.path}, is missing`);
  });
  if (baseSha256 !== artifact.sha256)
    throw new ValidationError(
      `the file of base model ${reference}, ${artifact.path}, has sha256 ${baseSha256}, but ${reference} was registered with ${artifact.sha256}: the file changed since, and an adapter must be pinned to the bytes it runs on`,
    );
  await checkLoraAdapter(path, artifact.path, { base: reference });
  return {
    kind: 'gguf-adapter',
    base: { name: base.name, version: base.version, path: artifact.path, sha256: artifact.sha256 },
    adapter: { path, sha256: await fileSha256(path) },
  };
}
