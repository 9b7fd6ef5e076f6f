import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** datasets/sample-author: where the sample author's files live. */
export const sampleAuthorDirectory = dirname(fileURLToPath(import.meta.url));

/** Who the sample author is on each platform (a fictional person; see README.md). */
export const sampleAuthor = {
  name: 'Noor Halvorsen',
  mediumHandle: '@noorhalvorsen',
  devtoUsername: 'noorh',
  substackSubdomain: 'boringml',
  repositoryName: 'tiny-feature-store',
} as const;
