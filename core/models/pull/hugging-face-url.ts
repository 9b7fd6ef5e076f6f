import type { ModelSource } from './model-catalog.ts';

/**
 * `https://huggingface.co/OWNER/REPO/resolve/REVISION/FILE`, the URL shape the hub serves files
 * at. The revision is one path segment (`refs/pr/1` is sent as `refs%2Fpr%2F1`); the file keeps
 * its folders.
 */
export function huggingFaceUrl(
  source: Extract<ModelSource, { kind: 'hugging-face' }>,
  base = 'https://huggingface.co',
): string {
  return `${base.replace(/\/$/, '')}/${source.repository}/resolve/${encodeURIComponent(source.revision)}/${source.file
    .split('/')
    .map(encodeURIComponent)
    .join('/')}`;
}
