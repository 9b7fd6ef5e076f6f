import type { LlamaConfig } from './llama-config.ts';

/** The projections of one block, by their GGUF tensor names (`blk.N.<projection>.weight`). */
export const llamaProjections = [
  'attn_q',
  'attn_k',
  'attn_v',
  'attn_output',
  'ffn_gate',
  'ffn_up',
  'ffn_down',
] as const;
export type LlamaProjection = (typeof llamaProjections)[number];

/** A projection's input and output widths: y = W x with W of `outputs` rows of `inputs` values. */
export type ProjectionShape = { inputs: number; outputs: number };

/** Inputs and outputs of a projection, from the model's shape. */
export function projectionShape(config: LlamaConfig, projection: LlamaProjection): ProjectionShape {
  const queries = config.headCount * config.headDimension;
  const keys = config.headCountKv * config.headDimension;
  switch (projection) {
    case 'attn_q':
      return { inputs: config.embeddingLength, outputs: queries };
    case 'attn_k':
    case 'attn_v':
      return { inputs: config.embeddingLength, outputs: keys };
    case 'attn_output':
      return { inputs: queries, outputs: config.embeddingLength };
    case 'ffn_gate':
    case 'ffn_up':
      return { inputs: config.embeddingLength, outputs: config.feedForwardLength };
    case 'ffn_down':
      return { inputs: config.feedForwardLength, outputs: config.embeddingLength };
  }
}

/** `blk.3.attn_q.weight`: the name llama.cpp (and its LoRA adapters) give a projection's weight. */
export function projectionTensorName(layer: number, projection: LlamaProjection): string {
  return `blk.${layer}.${projection}.weight`;
}

/**
 * Every tensor a llama GGUF holds for this forward pass, with its GGUF dimensions (fastest-varying
 * first, so a matrix is [inputs, outputs]). `output.weight` is optional: without it the output
 * head is the token embedding (tied), as llama.cpp does.
 */
export function llamaTensorDimensions(config: LlamaConfig): Map<string, number[]> {
  const { embeddingLength, vocabularySize } = config;
  const dimensions = new Map<string, number[]>([
    ['token_embd.weight', [embeddingLength, vocabularySize]],
    ['output_norm.weight', [embeddingLength]],
    ['output.weight', [embeddingLength, vocabularySize]],
  ]);
  for (let layer = 0; layer < config.blockCount; layer++) {
    dimensions.set(`blk.${layer}.attn_norm.weight`, [embeddingLength]);
    dimensions.set(`blk.${layer}.ffn_norm.weight`, [embeddingLength]);
    for (const projection of llamaProjections) {
      const { inputs, outputs } = projectionShape(config, projection);
      dimensions.set(projectionTensorName(layer, projection), [inputs, outputs]);
    }
  }
  return dimensions;
}
