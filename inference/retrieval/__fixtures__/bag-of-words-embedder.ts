import type { Embedder } from '../../../core/ports/embedder.ts';

/**
 * A deterministic Embedder for tests of the search logic: words hashed into a small vector,
 * unit length. Texts sharing words are close, so the expected ranking is obvious from the text.
 * (The sample-author tests use the real USE-lite embedder.)
 */
export class BagOfWordsEmbedder implements Embedder {
  readonly maxBatchSize = 64;
  embedded = 0;

  constructor(
    readonly id = 'bag-of-words@test',
    readonly dimensions = 64,
  ) {}

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.embedded += texts.length;
    return texts.map((text) => {
      const vector = new Float32Array(this.dimensions);
      for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
        let hash = 2166136261;
        for (const character of word) hash = Math.imul(hash ^ character.charCodeAt(0), 16777619) >>> 0;
        vector[hash % this.dimensions] = (vector[hash % this.dimensions] ?? 0) + 1;
      }
      const norm = Math.hypot(...vector) || 1;
      return vector.map((value) => value / norm);
    });
  }

  async close(): Promise<void> {}
}
