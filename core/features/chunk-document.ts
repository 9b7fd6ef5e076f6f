import { deterministicUuid } from '../hashing.ts';
import type { Chunk } from '../types/chunk.ts';
import type { CleanedDocument } from '../types/cleaned-document.ts';
import type { ChunkingSpec, FeatureSetSpec } from '../types/feature-set.ts';
import { countTokens } from './count-tokens.ts';
import { splitText } from './split-text.ts';

const proseSeparators = ['\n\n', '\n', '. ', '! ', '? ', '; ', ': ', ', ', ' '];
// Definitions first so a chunk tends to hold whole functions; blank lines next, then lines.
const codeSeparators = [
  '\n\n\n',
  '\nexport ',
  '\nclass ',
  '\nfunction ',
  '\ndef ',
  '\nasync def ',
  '\nfunc ',
  '\nfn ',
  '\npub fn ',
  '\n## ',
  '\n\n',
  '\n',
  ' ',
];

export function separatorsFor(spec: ChunkingSpec): readonly string[] {
  switch (spec.strategy) {
    case 'prose':
      return proseSeparators;
    case 'code':
      return codeSeparators;
    default: {
      const unreachable: never = spec.strategy;
      throw new Error(`unknown chunking strategy ${String(unreachable)}`);
    }
  }
}

/** Splits a cleaned document into chunks with the feature set's per-category settings. */
export function chunkDocument(document: CleanedDocument, spec: FeatureSetSpec): Chunk[] {
  const chunking = spec.chunking[document.category];
  const texts = splitText(document.text, { ...chunking, separators: separatorsFor(chunking) });
  return texts
    .filter((text) => text.trim().length > 0)
    .map((text, chunkIndex) => ({
      // Prose chunks drop the boundary whitespace; code chunks keep every character.
      text: chunking.strategy === 'prose' ? text.trim() : text,
      chunkIndex,
    }))
    .map(({ text, chunkIndex }) => ({
      id: deterministicUuid(document.featureSetId, document.documentId, String(chunkIndex)),
      authorId: document.authorId,
      platform: document.platform,
      category: document.category,
      documentId: document.documentId,
      url: document.url,
      title: document.title,
      publishedAt: document.publishedAt,
      chunkIndex,
      featureSetId: document.featureSetId,
      text,
      tokenCount: countTokens(text),
    }));
}
