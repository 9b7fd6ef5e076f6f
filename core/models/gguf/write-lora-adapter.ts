import { type GgufTensorToWrite, type GgufValue, ggufValue, writeGguf } from './write-gguf.ts';

/*
 * The llama.cpp LoRA adapter format, as llama.cpp's own converter writes it and its loader checks
 * it. Read in the llama.cpp source that node-llama-cpp 3.21.1 builds (its bundled
 * llama/gitRelease.bundle; the same code is in ggml-org/llama.cpp at fdfa89f1):
 *
 * - Metadata (convert_lora_to_gguf.py `set_type` / `set_gguf_parameters`; checked in
 *   src/llama-adapter.cpp `llama_adapter_lora_init_impl`): `general.type` = "adapter" (string),
 *   `adapter.type` = "lora" (string), `adapter.lora.alpha` (float32), and `general.architecture`
 *   (string), which must name the base model's architecture ("model arch and LoRA arch mismatch").
 *   The loader reads these with gguf_get_val_str / gguf_get_val_f32, which GGML_ASSERT the value
 *   type (ggml/src/gguf.cpp): a key of another type aborts the process instead of failing (a
 *   uint32 alpha ends node with exit code 134, "GGML_ASSERT(type_to_gguf_type<T>::value == type)").
 * - Tensors: for a base weight `<name>.weight` (`blk.N.attn_q.weight`, `blk.N.ffn_down.weight`,
 *   `output.weight`…), a pair `<name>.weight.lora_a` and `<name>.weight.lora_b`; any tensor name
 *   other than `.lora_a`, `.lora_b` or `_norm.weight` is refused, and an unpaired half too.
 * - Shapes, in GGUF order (fastest-varying first), for a base weight of [n_in, n_out]:
 *   lora_a is [n_in, rank] and lora_b is [rank, n_out] (llama-adapter.cpp checks
 *   `model.ne[0] == a.ne[0]`, `model.ne[1] == b.ne[1]` and `a.ne[1] == b.ne[0]`). The converter
 *   writes PEFT's lora_A (rank × n_in) and lora_B (n_out × rank) unchanged, since gguf-py writes
 *   a numpy shape reversed (gguf_writer.py). token_embd alone has A and B flipped; not written here.
 * - Arithmetic (src/llama-graph.cpp `build_lora_mm`, src/llama-adapter.h `get_scale`):
 *   W·x + s·B·(A·x) with s = scale · alpha / rank, rank = lora_b's ne[0] and `scale` the context's
 *   (node-llama-cpp's `lora.adapters[].scale`, 1 by default); with alpha 0 s is just `scale`.
 * - Tensor types: the converter writes F32 by default (`--outtype` f32, f16, bf16, q8_0).
 */

/** The projections of a transformer block an adapter can adapt, by their GGUF tensor names. */
export type LoraProjection =
  | 'attn_q'
  | 'attn_k'
  | 'attn_v'
  | 'attn_output'
  | 'ffn_gate'
  | 'ffn_up'
  | 'ffn_down';

/** Which base weight a pair adapts: a projection of one block, or the output head (`output.weight`). */
export type LoraTarget = { layer: number; projection: LoraProjection } | 'output';

/**
 * One adapted weight W (`outputs` × `inputs`, so W·x maps an `inputs`-long x) as its two factors,
 * row-major in PEFT's layout: `a` is rank × inputs, `b` is outputs × rank.
 */
export type LoraPair = {
  target: LoraTarget;
  inputs: number;
  outputs: number;
  a: Float32Array;
  b: Float32Array;
};

export type LoraAdapter = {
  /** The base model's `general.architecture` ("llama" for SmolLM2). */
  architecture: string;
  rank: number;
  /** The update is scaled by alpha / rank (PEFT's lora_alpha); must be positive. */
  alpha: number;
  pairs: LoraPair[];
  /** F32 (the converter's default) or F16 (half the size). */
  type?: 'F32' | 'F16';
  /** `general.name`, when given. */
  name?: string;
};

/** The base weight a target names, as the GGUF tensor name the adapter's pair is named after. */
export function loraTargetTensor(target: LoraTarget): string {
  return target === 'output' ? 'output.weight' : `blk.${target.layer}.${target.projection}.weight`;
}

/**
 * Writes a LoRA adapter GGUF that llama.cpp loads on top of its base model (node-llama-cpp's
 * context `lora` option): the metadata and tensor layout of llama.cpp's converter, described at
 * the top of this file. Atomic, like writeGguf. Refuses factors whose sizes do not match their
 * shape, non-finite values, a repeated target and a non-positive alpha. Returns the size in bytes.
 */
export async function writeLoraAdapter(path: string, adapter: LoraAdapter): Promise<number> {
  const { rank, alpha } = adapter;
  if (!Number.isInteger(rank) || rank < 1)
    throw new RangeError(`LoRA rank must be a positive integer, not ${rank}`);
  // llama.cpp reads alpha 0 as "no alpha" and then skips the division by rank: refused, not guessed.
  if (!Number.isFinite(alpha) || alpha <= 0)
    throw new RangeError(`LoRA alpha must be positive, not ${alpha}`);
  if (adapter.pairs.length === 0) throw new RangeError('a LoRA adapter needs at least one pair of matrices');
  const seen = new Set<string>();
  const tensors: GgufTensorToWrite[] = [];
  const type = adapter.type ?? 'F32';
  for (const pair of adapter.pairs) {
    const name = loraTargetTensor(pair.target);
    if (seen.has(name)) throw new RangeError(`${name} is adapted twice`);
    seen.add(name);
    if (
      !Number.isInteger(pair.inputs) ||
      pair.inputs < 1 ||
      !Number.isInteger(pair.outputs) ||
      pair.outputs < 1
    )
      throw new RangeError(`${name} needs positive integer inputs and outputs`);
    checkFactor(`${name} A`, pair.a, rank, pair.inputs);
    checkFactor(`${name} B`, pair.b, pair.outputs, rank);
    // Row-major rank × inputs is GGUF [inputs, rank]; outputs × rank is [rank, outputs].
    tensors.push(
      { name: `${name}.lora_a`, dimensions: [pair.inputs, rank], type, values: pair.a },
      { name: `${name}.lora_b`, dimensions: [rank, pair.outputs], type, values: pair.b },
    );
  }
  const metadata: [string, GgufValue][] = [
    ['general.architecture', ggufValue.string(adapter.architecture)],
    ['general.type', ggufValue.string('adapter')],
    ...(adapter.name ? ([['general.name', ggufValue.string(adapter.name)]] as [string, GgufValue][]) : []),
    ['adapter.type', ggufValue.string('lora')],
    ['adapter.lora.alpha', ggufValue.float32(alpha)],
  ];
  return writeGguf(path, { metadata, tensors });
}

function checkFactor(label: string, values: Float32Array, rows: number, columns: number): void {
  if (values.length !== rows * columns)
    throw new RangeError(
      `${label} should be ${rows} × ${columns} (${rows * columns} values), not ${values.length}`,
    );
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new RangeError(`${label} holds ${values[bad]} at index ${bad}`);
}
