import type { Chunk } from './chunk.ts';

/** A chunk with its vector: what the feature pipeline upserts into the vector store. */
export type EmbeddedChunk = Chunk & { embedding: Float32Array };
