import { type GgufValue, ggufValue, writeGguf } from '../gguf/write-gguf.ts';

/** Token id of `<s>` in the probe's vocabulary. */
export const probeBos = 1;

/**
 * Writes a one-layer llama whose next-token logits are `output · h` for a hidden vector `h` chosen
 * by the test, so that llama.cpp's own product with an output matrix of any ggml type can be
 * checked against that matrix dequantised here. Every token embeds to `hidden`; every attention
 * and feed-forward weight is zero, so the last hidden state is `hidden` itself, and the final
 * RMSNorm (weights 1, ε = 1e-5) turns it into `hidden / √(mean(hidden²) + ε)`. `output` holds one
 * row of `hidden.length` values per token, already in the blocks of `output.type`; `hidden.length`
 * is a multiple of 64 (one attention head per 64), and there are at least 259 rows (three special
 * tokens and the 256 byte tokens a SentencePiece vocabulary needs; the rest are filler).
 */
export async function writeProbeGguf(
  path: string,
  options: { hidden: Float32Array; output: { type: string; bytes: Uint8Array }; vocabulary: number },
): Promise<void> {
  const { hidden, output, vocabulary } = options;
  const embedding = hidden.length;
  const feedForward = 32;
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  while (tokens.length < vocabulary) {
    tokens.push(`▁filler${tokens.length}`);
    types.push(1);
  }
  const metadata: [string, GgufValue][] = [
    ['general.architecture', ggufValue.string('llama')],
    ['general.name', ggufValue.string('dequantisation-probe')],
    ['llama.context_length', ggufValue.uint32(256)],
    ['llama.embedding_length', ggufValue.uint32(embedding)],
    ['llama.block_count', ggufValue.uint32(1)],
    ['llama.feed_forward_length', ggufValue.uint32(feedForward)],
    ['llama.attention.head_count', ggufValue.uint32(embedding / 64)],
    ['llama.attention.head_count_kv', ggufValue.uint32(embedding / 64)],
    ['llama.rope.dimension_count', ggufValue.uint32(64)],
    ['llama.attention.layer_norm_rms_epsilon', ggufValue.float32(1e-5)],
    ['tokenizer.ggml.model', ggufValue.string('llama')],
    ['tokenizer.ggml.tokens', ggufValue.stringArray(tokens)],
    ['tokenizer.ggml.scores', ggufValue.float32Array(tokens.map(() => 0))],
    ['tokenizer.ggml.token_type', ggufValue.int32Array(types)],
    ['tokenizer.ggml.bos_token_id', ggufValue.uint32(probeBos)],
    ['tokenizer.ggml.eos_token_id', ggufValue.uint32(2)],
    ['tokenizer.ggml.unknown_token_id', ggufValue.uint32(0)],
  ];
  const tokenEmbeddings = new Float32Array(embedding * vocabulary);
  for (let id = 0; id < vocabulary; id++) tokenEmbeddings.set(hidden, id * embedding);
  const ones = (count: number) => new Float32Array(count).fill(1);
  const zeros = (count: number) => new Float32Array(count);
  const floats: [string, number[], Float32Array][] = [
    ['token_embd.weight', [embedding, vocabulary], tokenEmbeddings],
    ['output_norm.weight', [embedding], ones(embedding)],
    ['blk.0.attn_norm.weight', [embedding], ones(embedding)],
    ['blk.0.attn_q.weight', [embedding, embedding], zeros(embedding * embedding)],
    ['blk.0.attn_k.weight', [embedding, embedding], zeros(embedding * embedding)],
    ['blk.0.attn_v.weight', [embedding, embedding], zeros(embedding * embedding)],
    ['blk.0.attn_output.weight', [embedding, embedding], zeros(embedding * embedding)],
    ['blk.0.ffn_norm.weight', [embedding], ones(embedding)],
    ['blk.0.ffn_gate.weight', [embedding, feedForward], zeros(embedding * feedForward)],
    ['blk.0.ffn_up.weight', [embedding, feedForward], zeros(embedding * feedForward)],
    ['blk.0.ffn_down.weight', [feedForward, embedding], zeros(embedding * feedForward)],
  ];
  await writeGguf(path, {
    metadata,
    tensors: [
      ...floats.map(([name, dimensions, values]) => ({ name, dimensions, type: 'F32' as const, values })),
      { name: 'output.weight', dimensions: [embedding, vocabulary], type: output.type, bytes: output.bytes },
    ],
  });
}
