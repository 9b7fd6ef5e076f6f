import { writeFile } from 'node:fs/promises';

/**
 * Writes the smallest GGUF llama.cpp will run: a one-layer "llama" with 16-wide embeddings, a
 * SentencePiece vocabulary of the three specials, the 256 byte-fallback tokens, `word` and the
 * pieces the tokenizer merges it from (`▁b`, `▁bo`, …), and weights built so that the answer is
 * known in advance. Every token embeds to the same vector and every attention and feed-forward
 * weight is zero, so the hidden state is that vector whatever the prompt; the output row of `word`
 * points along it and every other row is zero, so greedy decoding says `word` again and again, and
 * every next token has the same log-probabilities: ≈ 0 for `word`, ≈ −64 for any other (its logit
 * is 4 · 16 = 64 below `word`'s). No model can be downloaded here, and this is enough to drive the
 * real node-llama-cpp path end to end: load, chat session, streaming, stops, usage, abort, scoring.
 * `licence` writes `general.license`, as published GGUF files often carry it.
 */
export async function writeTinyGguf(
  path: string,
  options: { word?: string; licence?: string } = {},
): Promise<void> {
  const word = options.word ?? 'boring';
  const embedding = 16;
  const feedForward = 32;
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const wordId = tokens.length;
  tokens.push(`▁${word}`);
  types.push(1);
  // SentencePiece builds a piece only by merging pieces in the vocabulary, so without these no
  // text would tokenize to `word`: the model could say it, but an answer with it not score well.
  const prefixes = [...word].slice(1).map((_, end) => `▁${[...word].slice(0, end + 1).join('')}`);
  for (const prefix of prefixes) {
    tokens.push(prefix);
    types.push(1);
  }
  const vocabulary = tokens.length;

  const metadata: [string, Value][] = [
    ['general.architecture', string('llama')],
    ['general.name', string('tiny-twin-test')],
    ['general.alignment', uint32(32)],
    ['llama.context_length', uint32(2048)],
    ['llama.embedding_length', uint32(embedding)],
    ['llama.block_count', uint32(1)],
    ['llama.feed_forward_length', uint32(feedForward)],
    ['llama.attention.head_count', uint32(2)],
    ['llama.attention.head_count_kv', uint32(2)],
    ['llama.rope.dimension_count', uint32(embedding / 2)],
    ['llama.attention.layer_norm_rms_epsilon', float32(1e-5)],
    ['tokenizer.ggml.model', string('llama')],
    ['tokenizer.ggml.tokens', array(8, tokens.map(stringBytes))],
    ['tokenizer.ggml.scores', array(6, tokens.map((_, id) => f32(id === wordId ? 0 : id > wordId ? -500 : -1000)))],
    ['tokenizer.ggml.token_type', array(5, types.map(i32))],
    ['tokenizer.ggml.bos_token_id', uint32(1)],
    ['tokenizer.ggml.eos_token_id', uint32(2)],
    ['tokenizer.ggml.unknown_token_id', uint32(0)],
  ];
  if (options.licence) metadata.push(['general.license', string(options.licence)]);

  const direction = Float32Array.from({ length: embedding }, (_, index) => (index % 2 === 0 ? 1 : -1));
  const tokenEmbeddings = new Float32Array(embedding * vocabulary);
  for (let id = 0; id < vocabulary; id++) tokenEmbeddings.set(direction, id * embedding);
  const output = new Float32Array(embedding * vocabulary);
  output.set(
    direction.map((value) => value * 4),
    wordId * embedding,
  );
  const ones = (count: number) => new Float32Array(count).fill(1);
  const zeros = (count: number) => new Float32Array(count);
  // GGUF lists dimensions fastest-varying first: a [columns, rows] matrix.
  const tensors: [string, number[], Float32Array][] = [
    ['token_embd.weight', [embedding, vocabulary], tokenEmbeddings],
    ['output_norm.weight', [embedding], ones(embedding)],
    ['output.weight', [embedding, vocabulary], output],
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

  const parts: Buffer[] = [Buffer.from('GGUF', 'latin1'), u32(3), u64(tensors.length), u64(metadata.length)];
  for (const [key, value] of metadata) parts.push(stringBytes(key), u32(value.type), value.bytes);
  let offset = 0;
  const data: Buffer[] = [];
  for (const [name, dimensions, values] of tensors) {
    parts.push(stringBytes(name), u32(dimensions.length), ...dimensions.map(u64), u32(0), u64(offset));
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const padded = Buffer.concat([bytes, Buffer.alloc(align(bytes.length) - bytes.length)]);
    data.push(padded);
    offset += padded.length;
  }
  const header = Buffer.concat(parts);
  await writeFile(path, Buffer.concat([header, Buffer.alloc(align(header.length) - header.length), ...data]));
}

type Value = { type: number; bytes: Buffer };

const align = (length: number) => Math.ceil(length / 32) * 32;
const u32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
};
const i32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  return buffer;
};
const u64 = (value: number) => {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
};
const f32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeFloatLE(value);
  return buffer;
};
const stringBytes = (text: string) => {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([u64(bytes.length), bytes]);
};
const string = (text: string): Value => ({ type: 8, bytes: stringBytes(text) });
const uint32 = (value: number): Value => ({ type: 4, bytes: u32(value) });
const float32 = (value: number): Value => ({ type: 6, bytes: f32(value) });
const array = (elementType: number, elements: Buffer[]): Value => ({
  type: 9,
  bytes: Buffer.concat([u32(elementType), u64(elements.length), ...elements]),
});
