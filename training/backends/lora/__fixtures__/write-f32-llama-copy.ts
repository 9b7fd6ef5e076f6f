import { ggufMetadataValues } from '../../../../core/models/gguf/read-gguf-header.ts';
import { readGgufTensors } from '../../../../core/models/gguf/read-gguf-tensors.ts';
import { type GgufValue, ggufValue, writeGguf } from '../../../../core/models/gguf/write-gguf.ts';
import type { GgufMetadata } from '../llama-config.ts';
import type { LlamaTensor } from '../llama-model.ts';

// The metadata llama.cpp needs to run a llama with a GPT-2 style (BPE) vocabulary, each written
// with the GGUF type llama.cpp reads it as: llama.cpp refuses a key of another type.
const copiedKeys: Record<string, (value: never) => GgufValue> = {
  'general.architecture': ggufValue.string,
  'llama.block_count': ggufValue.uint32,
  'llama.context_length': ggufValue.uint32,
  'llama.embedding_length': ggufValue.uint32,
  'llama.feed_forward_length': ggufValue.uint32,
  'llama.attention.head_count': ggufValue.uint32,
  'llama.attention.head_count_kv': ggufValue.uint32,
  'llama.attention.layer_norm_rms_epsilon': ggufValue.float32,
  'llama.rope.freq_base': ggufValue.float32,
  'llama.rope.dimension_count': ggufValue.uint32,
  'llama.vocab_size': ggufValue.uint32,
  'tokenizer.ggml.model': ggufValue.string,
  'tokenizer.ggml.pre': ggufValue.string,
  'tokenizer.ggml.tokens': ggufValue.stringArray,
  'tokenizer.ggml.token_type': ggufValue.int32Array,
  'tokenizer.ggml.merges': ggufValue.stringArray,
  'tokenizer.ggml.bos_token_id': ggufValue.uint32,
  'tokenizer.ggml.eos_token_id': ggufValue.uint32,
  'tokenizer.ggml.unknown_token_id': ggufValue.uint32,
  'tokenizer.ggml.padding_token_id': ggufValue.uint32,
  'tokenizer.ggml.add_bos_token': ggufValue.bool,
  'tokenizer.ggml.add_space_prefix': ggufValue.bool,
};

/**
 * Writes a llama GGUF file's weights dequantised to F32 into a new GGUF at `target`, and returns
 * the metadata and tensors: llama.cpp then runs exactly the float32 weights the tfjs model is
 * given, with no quantised arithmetic on either side, so any difference left is the forward pass's.
 */
export async function writeF32LlamaCopy(
  source: string,
  target: string,
): Promise<{ metadata: GgufMetadata; tensors: Map<string, LlamaTensor> }> {
  const file = await readGgufTensors(source);
  try {
    const tensors = new Map<string, LlamaTensor>();
    for (const { name, dimensions } of file.tensors)
      tensors.set(name, { dimensions, values: await file.loadTensor(name) });
    const values = ggufMetadataValues(file.metadata);
    const metadata: [string, GgufValue][] = [];
    for (const [key, encode] of Object.entries(copiedKeys)) {
      const value = values.get(key);
      if (value !== undefined) metadata.push([key, encode(value as never)]);
    }
    // LLAMA_FTYPE_ALL_F32.
    metadata.push(['general.file_type', ggufValue.uint32(0)]);
    await writeGguf(target, {
      metadata,
      tensors: [...tensors].map(([name, { dimensions, values }]) => ({
        name,
        dimensions: [...dimensions],
        type: 'F32' as const,
        values,
      })),
    });
    return { metadata: values, tensors };
  } finally {
    await file.close();
  }
}
