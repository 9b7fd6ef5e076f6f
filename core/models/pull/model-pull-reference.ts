import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../errors.ts';
import { type CatalogModel, catalogModel, type ModelSource, modelCatalog } from './model-catalog.ts';

export type HuggingFaceFile = Extract<ModelSource, { kind: 'hugging-face' }>;

/** What `twin models pull` was asked for: a catalog model, a Hugging Face file, or a local file. */
export type ModelPullReference =
  | { kind: 'catalog'; model: CatalogModel }
  | HuggingFaceFile
  | { kind: 'file'; path: string };

const forms = 'a catalog name, hf:OWNER/REPO/FILE[@REVISION] or file:PATH';
// Hugging Face's own rule for owner and repository names (letters, digits, `-`, `_`, `.`).
const hubName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// A branch, tag or commit; `refs/pr/1` is a revision too, so `/` is allowed between parts.
const revisionPattern = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * Parses `smollm2-135m-instruct`, `hf:OWNER/REPO/FILE[@REVISION]` (revision `main` when left out;
 * FILE may name a subfolder) or `file:PATH`. Only the form is checked here: whether the file
 * exists is the pull's business. Every part that becomes a cache folder is refused if it could
 * climb out of the cache (`..`).
 */
export function parseModelPullReference(text: string): ModelPullReference {
  if (text.startsWith('hf:')) return parseHuggingFace(text);
  if (text.startsWith('file:')) {
    const rest = text.slice('file:'.length);
    if (rest === '') throw new ValidationError(`${text} names no file: use file:PATH`);
    return { kind: 'file', path: rest.startsWith('//') ? fileURLToPath(text) : resolve(rest) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1];
  if (scheme) throw new ValidationError(`unknown scheme "${scheme}:" in ${text}; use ${forms}`);
  const model = catalogModel(text);
  if (!model) {
    throw new ValidationError(
      `unknown model ${text}; the catalog has: ${modelCatalog.map((entry) => entry.name).join(', ')} (or pull hf:OWNER/REPO/FILE[@REVISION] or file:PATH)`,
    );
  }
  return { kind: 'catalog', model };
}

/** `hf:OWNER/REPO/FILE@REVISION`, the form a user types, with the revision always written out. */
export function formatHuggingFaceFile(file: HuggingFaceFile): string {
  return `hf:${file.repository}/${file.file}@${file.revision}`;
}

function parseHuggingFace(text: string): HuggingFaceFile {
  const body = text.slice('hf:'.length);
  // The revision follows the last `@`: revisions never hold one, file names hardly ever.
  const at = body.lastIndexOf('@');
  const path = at === -1 ? body : body.slice(0, at);
  const revision = at === -1 ? 'main' : body.slice(at + 1);
  const [owner = '', repository = '', ...file] = path.split('/');
  if (file.length === 0 || file.some((part) => part === '') || !owner || !repository) {
    throw new ValidationError(`${text} should be hf:OWNER/REPO/FILE[@REVISION], with no empty part`);
  }
  for (const name of [owner, repository]) {
    if (!hubName.test(name) || name.includes('..')) {
      throw new ValidationError(
        `${text}: "${name}" is not a Hugging Face owner or repository name (letters, digits, - _ .)`,
      );
    }
  }
  if (file.some((part) => part === '.' || part === '..')) {
    throw new ValidationError(`${text}: the file path may not contain . or .. parts`);
  }
  if (at !== -1 && revision === '') {
    throw new ValidationError(`${text} has an empty revision after @: leave @ out for main`);
  }
  if (!revisionPattern.test(revision) || revision.split('/').some((part) => part === '.' || part === '..')) {
    throw new ValidationError(`${text}: "${revision}" is not a revision (a branch, tag or commit)`);
  }
  return { kind: 'hugging-face', repository: `${owner}/${repository}`, revision, file: file.join('/') };
}
