import { ValidationError } from '../../../core/errors.ts';

/**
 * The shape of a GGUF `general.architecture = llama` model, as llama.cpp reads it from the file's
 * metadata. Nothing here has a default of our own: where a key is optional, the default is
 * llama.cpp's.
 */
export type LlamaConfig = {
  vocabularySize: number;
  /** `llama.context_length`: the longest sequence the model was trained on. */
  contextLength: number;
  /** `llama.embedding_length`: the width of the residual stream. */
  embeddingLength: number;
  blockCount: number;
  feedForwardLength: number;
  headCount: number;
  /** Key/value heads; fewer than `headCount` is grouped-query attention. */
  headCountKv: number;
  /** Width of one head's queries, keys and values. */
  headDimension: number;
  /** Leading dimensions of each head that rotary embedding turns; llama.cpp's llama graph requires all of them. */
  ropeDimensionCount: number;
  ropeFreqBase: number;
  /** Multiplies every rotary angle: 1 / `llama.rope.scaling.factor` under linear scaling, else 1. */
  ropeFreqScale: number;
  rmsEpsilon: number;
  /** Multiplies q·k before the softmax: `llama.attention.scale`, else 1/√headDimension. */
  attentionScale: number;
};

/** GGUF metadata as plain values: numbers (or bigints for 64-bit integers), strings, booleans, arrays. */
export type GgufMetadata = ReadonlyMap<string, unknown>;

/**
 * Reads a llama model's shape from its GGUF metadata, with llama.cpp's rules (llama-model.cpp,
 * `load_hparams` and the llama graph). Throws one ValidationError listing every missing or invalid
 * key, and refuses what the forward pass does not implement (rotary scaling other than linear,
 * mixture of experts), rather than computing something llama.cpp would not.
 */
export function parseLlamaConfig(metadata: GgufMetadata): LlamaConfig {
  const problems: string[] = [];
  const architecture = metadata.get('general.architecture');
  if (architecture !== 'llama')
    throw new ValidationError(
      `general.architecture is ${JSON.stringify(architecture)}: only "llama" models are supported`,
    );
  const integer = (key: string, fallback?: number): number => {
    const value = metadata.get(key);
    if (value === undefined) {
      if (fallback === undefined) problems.push(`${key} is missing`);
      return fallback ?? 0;
    }
    const number = typeof value === 'bigint' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number) || number <= 0) {
      problems.push(`${key} must be a positive integer, got ${String(value)}`);
      return 0;
    }
    return number;
  };
  const float = (key: string, fallback?: number): number => {
    const value = metadata.get(key);
    if (value === undefined) {
      if (fallback === undefined) problems.push(`${key} is missing`);
      return fallback ?? 0;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      problems.push(`${key} must be a non-negative number, got ${String(value)}`);
      return 0;
    }
    return value;
  };

  const embeddingLength = integer('llama.embedding_length');
  const headCount = integer('llama.attention.head_count');
  const headCountKv = integer('llama.attention.head_count_kv', headCount);
  const defaultHeadDimension = headCount > 0 ? Math.floor(embeddingLength / headCount) : 0;
  const headDimension = integer('llama.attention.key_length', defaultHeadDimension);
  const valueLength = integer('llama.attention.value_length', headDimension);
  const ropeDimensionCount = integer('llama.rope.dimension_count', headDimension);
  const config: LlamaConfig = {
    vocabularySize: integer('llama.vocab_size', tokenCount(metadata)),
    contextLength: integer('llama.context_length'),
    embeddingLength,
    blockCount: integer('llama.block_count'),
    feedForwardLength: integer('llama.feed_forward_length'),
    headCount,
    headCountKv,
    headDimension,
    ropeDimensionCount,
    ropeFreqBase: float('llama.rope.freq_base', 10_000),
    ropeFreqScale: ropeFreqScale(metadata, problems),
    rmsEpsilon: float('llama.attention.layer_norm_rms_epsilon'),
    attentionScale: 0,
  };
  const scale = float('llama.attention.scale', 0);
  config.attentionScale = scale === 0 && headDimension > 0 ? 1 / Math.sqrt(headDimension) : scale;

  if (config.vocabularySize === 0)
    problems.push(
      'the vocabulary size is unknown: neither llama.vocab_size nor tokenizer.ggml.tokens is present',
    );
  if (valueLength !== headDimension)
    problems.push(`value heads of ${valueLength} and key heads of ${headDimension} differ`);
  if (headCount > 0 && headCountKv > 0 && headCount % headCountKv !== 0)
    problems.push(`${headCount} query heads cannot share ${headCountKv} key/value heads evenly`);
  // llama.cpp's llama graph asserts n_rot == n_embd_head, and rotation works on pairs.
  if (ropeDimensionCount !== headDimension)
    problems.push(
      `llama.rope.dimension_count is ${ropeDimensionCount} but heads are ${headDimension} wide: llama.cpp rotates whole heads`,
    );
  if (headDimension % 2 !== 0)
    problems.push(`heads of odd width ${headDimension} cannot be rotated in pairs`);
  const experts = metadata.get('llama.expert_count');
  if (experts !== undefined && Number(experts) > 0)
    problems.push(`llama.expert_count is ${String(experts)}: mixture-of-experts models are not supported`);
  if (problems.length > 0)
    throw new ValidationError(
      `GGUF metadata does not describe a llama model we can run:\n  - ${problems.join('\n  - ')}`,
    );
  return config;
}

function tokenCount(metadata: GgufMetadata): number | undefined {
  const tokens = metadata.get('tokenizer.ggml.tokens');
  return Array.isArray(tokens) ? tokens.length : undefined;
}

/** llama.cpp: the factor (or the older `rope.scale_linear`) divides every angle; 0 means none. */
function ropeFreqScale(metadata: GgufMetadata, problems: string[]): number {
  const type = metadata.get('llama.rope.scaling.type') ?? 'linear';
  const factor = metadata.get('llama.rope.scaling.factor') ?? metadata.get('llama.rope.scale_linear') ?? 0;
  if (typeof factor !== 'number' || factor < 0) {
    problems.push(`llama.rope.scaling.factor must be a non-negative number, got ${String(factor)}`);
    return 1;
  }
  if (type === 'none') return 1;
  if (type !== 'linear') {
    problems.push(`llama.rope.scaling.type ${JSON.stringify(type)} is not supported (only none and linear)`);
    return 1;
  }
  return factor === 0 ? 1 : 1 / factor;
}
