import { type GgufValue, ggufValue, writeGguf } from '../gguf/write-gguf.ts';

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
 * `licence` writes `general.license`, as published GGUF files often carry it. `otherWords` join the
 * vocabulary (with their merge prefixes) with zero output rows: the model never says them, but a
 * LoRA adapter on `output.weight` can make it (see `tinyGgufWordIds`).
 */
export async function writeTinyGguf(
  path: string,
  options: { word?: string; licence?: string; otherWords?: string[] } = {},
): Promise<void> {
  const word = options.word ?? 'boring';
  const embedding = 16;
  const feedForward = 32;
  const { tokens, types, scores } = tinyVocabulary([word, ...(options.otherWords ?? [])]);
  const wordId = tokens.indexOf(`▁${word}`);
  const vocabulary = tokens.length;

  const metadata: [string, GgufValue][] = [
    ['general.architecture', ggufValue.string('llama')],
    ['general.name', ggufValue.string('tiny-twin-test')],
    ['general.alignment', ggufValue.uint32(32)],
    ['llama.context_length', ggufValue.uint32(2048)],
    ['llama.embedding_length', ggufValue.uint32(embedding)],
    ['llama.block_count', ggufValue.uint32(1)],
    ['llama.feed_forward_length', ggufValue.uint32(feedForward)],
    ['llama.attention.head_count', ggufValue.uint32(2)],
    ['llama.attention.head_count_kv', ggufValue.uint32(2)],
    ['llama.rope.dimension_count', ggufValue.uint32(embedding / 2)],
    ['llama.attention.layer_norm_rms_epsilon', ggufValue.float32(1e-5)],
    ['tokenizer.ggml.model', ggufValue.string('llama')],
    ['tokenizer.ggml.tokens', ggufValue.stringArray(tokens)],
    ['tokenizer.ggml.scores', ggufValue.float32Array(scores)],
    ['tokenizer.ggml.token_type', ggufValue.int32Array(types)],
    ['tokenizer.ggml.bos_token_id', ggufValue.uint32(1)],
    ['tokenizer.ggml.eos_token_id', ggufValue.uint32(2)],
    ['tokenizer.ggml.unknown_token_id', ggufValue.uint32(0)],
  ];
  if (options.licence) metadata.push(['general.license', ggufValue.string(options.licence)]);

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

  await writeGguf(path, {
    metadata,
    tensors: tensors.map(([name, dimensions, values]) => ({ name, dimensions, type: 'F32', values })),
  });
}

/** Where each word is in the vocabulary of a tiny model written with `words[0]` as `word` and the rest as `otherWords`. */
export function tinyGgufWordIds(words: string[]): Record<string, number> {
  const { tokens } = tinyVocabulary(words);
  return Object.fromEntries(words.map((word) => [word, tokens.indexOf(`▁${word}`)]));
}

/** Tokens of the tiny model: the three specials, the 256 bytes, then each word and its merge prefixes. */
function tinyVocabulary(words: string[]): { tokens: string[]; types: number[]; scores: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  const scores = [-1000, -1000, -1000];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
    scores.push(-1000);
  }
  for (const word of words) {
    tokens.push(`▁${word}`);
    types.push(1);
    scores.push(0);
    // SentencePiece builds a piece only by merging pieces in the vocabulary, so without these no
    // text would tokenize to `word`: the model could say it, but an answer with it not score well.
    const prefixes = [...word].slice(1).map((_, end) => `▁${[...word].slice(0, end + 1).join('')}`);
    for (const prefix of prefixes) {
      if (tokens.includes(prefix)) continue;
      tokens.push(prefix);
      types.push(1);
      scores.push(-500);
    }
  }
  return { tokens, types, scores };
}
