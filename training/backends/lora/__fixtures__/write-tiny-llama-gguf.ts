import { createSeededRandom, deriveSeed } from '../../../../core/local-model/seeded-random.ts';
import { type GgufContents, type GgufValue, ggufValue, writeGguf } from '../../../../core/models/gguf/write-gguf.ts';
import type { GgufMetadata } from '../llama-config.ts';
import type { LlamaTensor, LlamaTensorSource } from '../llama-model.ts';

/** The tiny model's shape: small, but every feature of the llama graph is exercised. */
export const tinyLlamaShape = {
  blocks: 2,
  embedding: 64,
  heads: 4,
  // Two query heads per key/value head: grouped-query attention.
  kvHeads: 2,
  feedForward: 128,
  // Not the default 10,000, so a forward pass that ignored the key would disagree.
  ropeFreqBase: 5_000,
  rmsEpsilon: 1e-5,
  contextLength: 512,
} as const;

/** The tiny model: its metadata as plain values, its tensors, and both encoded for `writeGguf`. */
export type TinyLlama = { metadata: GgufMetadata; tensors: Map<string, LlamaTensor>; gguf: GgufContents };

/**
 * Writes `tinyLlama(options)` as a GGUF file and returns it: a test builds the tfjs model from the
 * returned metadata and tensors (no GGUF reader needed) and llama.cpp runs the file.
 */
export async function writeTinyLlamaGguf(
  path: string,
  options: { seed?: number; tied?: boolean } = {},
): Promise<TinyLlama> {
  const model = tinyLlama(options);
  await writeGguf(path, model.gguf);
  return model;
}

/**
 * A tiny llama with seeded random F32 weights that llama.cpp loads. The vocabulary is
 * SentencePiece-style like the generator tests' tiny model (three specials, the 256 byte-fallback
 * tokens, a few words): 300 tokens.
 *
 * Weights are at the scale that keeps the model's outputs informative rather than flat or
 * one-hot: embeddings and projections with unit-variance outputs, query and key projections 1.5×
 * that (attention that prefers some positions), norm gains around 1, and a head whose logits
 * spread by a few units: measured next-token entropies run from 0.15 to 3.7 nats (a uniform
 * distribution would have 5.7), a few likely tokens and a long tail. `tied` (the default) writes no
 * `output.weight`, so the head is the token embedding, as in SmolLM2.
 */
export function tinyLlama(options: { seed?: number; tied?: boolean } = {}): TinyLlama {
  const seed = options.seed ?? 1;
  const tied = options.tied ?? true;
  const shape = tinyLlamaShape;
  const words = ['the', 'cat', 'sat', 'on', 'mat', 'a', 'dog', 'ran', 'to', 'it', 'and', 'is', 'was', 'in'];
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  for (const word of words) {
    tokens.push(`▁${word}`);
    types.push(1);
  }
  while (tokens.length < 300) {
    tokens.push(`▁w${tokens.length}`);
    types.push(1);
  }
  const vocabulary = tokens.length;
  const headDimension = shape.embedding / shape.heads;
  // Byte tokens only as a fallback; words before the filler pieces.
  const scores = tokens.map((_, id) => (id < 259 ? -1000 : -id));

  const plain: [string, unknown, GgufValue][] = [
    ['general.architecture', 'llama', ggufValue.string('llama')],
    ['general.name', 'tiny-random-llama', ggufValue.string('tiny-random-llama')],
    ['llama.context_length', shape.contextLength, ggufValue.uint32(shape.contextLength)],
    ['llama.embedding_length', shape.embedding, ggufValue.uint32(shape.embedding)],
    ['llama.block_count', shape.blocks, ggufValue.uint32(shape.blocks)],
    ['llama.feed_forward_length', shape.feedForward, ggufValue.uint32(shape.feedForward)],
    ['llama.attention.head_count', shape.heads, ggufValue.uint32(shape.heads)],
    ['llama.attention.head_count_kv', shape.kvHeads, ggufValue.uint32(shape.kvHeads)],
    ['llama.rope.dimension_count', headDimension, ggufValue.uint32(headDimension)],
    ['llama.rope.freq_base', shape.ropeFreqBase, ggufValue.float32(shape.ropeFreqBase)],
    // The plain value is what a reader gets back from the file: the float32 nearest 1e-5.
    ['llama.attention.layer_norm_rms_epsilon', Math.fround(shape.rmsEpsilon), ggufValue.float32(shape.rmsEpsilon)],
    ['tokenizer.ggml.model', 'llama', ggufValue.string('llama')],
    ['tokenizer.ggml.tokens', tokens, ggufValue.stringArray(tokens)],
    ['tokenizer.ggml.scores', scores, ggufValue.float32Array(scores)],
    ['tokenizer.ggml.token_type', types, ggufValue.int32Array(types)],
    ['tokenizer.ggml.bos_token_id', 1, ggufValue.uint32(1)],
    ['tokenizer.ggml.eos_token_id', 2, ggufValue.uint32(2)],
    ['tokenizer.ggml.unknown_token_id', 0, ggufValue.uint32(0)],
  ];

  const tensors = new Map<string, LlamaTensor>();
  const normal = (name: string, dimensions: number[], deviation: number, mean = 0) => {
    const random = createSeededRandom(deriveSeed(seed, name));
    const count = dimensions.reduce((product, dimension) => product * dimension, 1);
    tensors.set(name, {
      dimensions,
      values: Float32Array.from({ length: count }, () => mean + deviation * random.normal()),
    });
  };
  // A [inputs, outputs] matrix whose outputs have about `gain` times the inputs' deviation.
  const projection = (name: string, inputs: number, outputs: number, gain = 1) =>
    normal(name, [inputs, outputs], gain / Math.sqrt(inputs));
  const { embedding, feedForward } = shape;
  const keyWidth = shape.kvHeads * headDimension;
  // Tied, the embedding is also the head: rows of deviation 0.4 over 64 unit-scale inputs give
  // logits of deviation ~3.
  normal('token_embd.weight', [embedding, vocabulary], tied ? 0.4 : 1);
  normal('output_norm.weight', [embedding], 0.1, 1);
  if (!tied) projection('output.weight', embedding, vocabulary, 3);
  for (let block = 0; block < shape.blocks; block++) {
    const prefix = `blk.${block}`;
    normal(`${prefix}.attn_norm.weight`, [embedding], 0.1, 1);
    projection(`${prefix}.attn_q.weight`, embedding, embedding, 1.5);
    projection(`${prefix}.attn_k.weight`, embedding, keyWidth, 1.5);
    projection(`${prefix}.attn_v.weight`, embedding, keyWidth);
    projection(`${prefix}.attn_output.weight`, embedding, embedding);
    normal(`${prefix}.ffn_norm.weight`, [embedding], 0.1, 1);
    projection(`${prefix}.ffn_gate.weight`, embedding, feedForward);
    projection(`${prefix}.ffn_up.weight`, embedding, feedForward);
    projection(`${prefix}.ffn_down.weight`, feedForward, embedding);
  }

  const gguf: GgufContents = {
    metadata: plain.map(([key, , value]) => [key, value]),
    tensors: [...tensors].map(([name, { dimensions, values }]) => ({
      name,
      dimensions: [...dimensions],
      type: 'F32' as const,
      values,
    })),
  };
  return { metadata: new Map(plain.map(([key, value]) => [key, value])), tensors, gguf };
}

/** The tensors as a LlamaModel source. */
export function tensorSource(tensors: ReadonlyMap<string, LlamaTensor>): LlamaTensorSource {
  return {
    names: [...tensors.keys()],
    read: (name) => {
      const tensor = tensors.get(name);
      if (!tensor) throw new Error(`no tensor ${name}`);
      return tensor;
    },
  };
}
