import { ValidationError } from '../../errors.ts';
import { type GgufTensorDescription, readGgufHeader } from './read-gguf-header.ts';

/** One adapted base weight: the base tensor it adds to, seen as [inputs, outputs] like the base's own dimensions. */
export type LoraAdapterPair = { target: string; inputs: number; outputs: number; rank: number };

/** What a LoRA adapter GGUF holds, checked as llama.cpp will check it (see write-lora-adapter.ts). */
export type LoraAdapterInfo = {
  architecture: string;
  /** `adapter.lora.alpha`; null when the file has none (llama.cpp then skips the alpha / rank scaling). */
  alpha: number | null;
  pairs: LoraAdapterPair[];
};

// The tensor types llama.cpp's converter writes (`--outtype`).
const adapterTypes = ['F32', 'F16', 'BF16', 'Q8_0'];

/**
 * Reads a LoRA adapter GGUF's header and checks it the way llama.cpp's loader will, before
 * llama.cpp sees it: the metadata keys and their types (a wrong type aborts the process inside
 * llama.cpp), complete 2-D `.lora_a`/`.lora_b` pairs whose ranks agree, tensor types the converter
 * writes, and tensor data inside the file (readGgufHeader refuses a file cut short). Every problem
 * found is listed in one ValidationError. `label` names the file in errors.
 */
export async function readLoraAdapter(path: string, label = path): Promise<LoraAdapterInfo> {
  const header = await readGgufHeader(path, label);
  const problems: string[] = [];
  const text = (key: string, expected?: string): string | null => {
    const entry = header.metadata.get(key);
    if (!entry) {
      problems.push(`${key} is missing${expected ? ` (llama.cpp expects "${expected}")` : ''}`);
      return null;
    }
    if (entry.type !== 'string') {
      problems.push(`${key} is a ${entry.type}, not a string`);
      return null;
    }
    if (expected !== undefined && entry.value !== expected)
      problems.push(`${key} is "${entry.value}", not "${expected}"`);
    return entry.value;
  };
  text('general.type', 'adapter');
  text('adapter.type', 'lora');
  const architecture = text('general.architecture') ?? '';
  if (header.metadata.get('general.architecture')?.type === 'string' && !architecture)
    problems.push('general.architecture is empty');
  const alphaEntry = header.metadata.get('adapter.lora.alpha');
  let alpha: number | null = null;
  if (alphaEntry) {
    if (alphaEntry.type !== 'float32')
      problems.push(`adapter.lora.alpha is a ${alphaEntry.type}, not a float32`);
    else if (!Number.isFinite(alphaEntry.value)) problems.push(`adapter.lora.alpha is ${alphaEntry.value}`);
    else alpha = alphaEntry.value;
  }

  const halves = new Map<string, { a?: GgufTensorDescription; b?: GgufTensorDescription }>();
  for (const tensor of header.tensors) {
    const half = tensor.name.endsWith('.lora_a') ? 'a' : tensor.name.endsWith('.lora_b') ? 'b' : null;
    if (half === null) {
      // llama.cpp skips norm vectors (mergekit adds them) and refuses any other name.
      if (!tensor.name.endsWith('_norm.weight'))
        problems.push(`tensor ${tensor.name} is neither a .lora_a nor a .lora_b`);
      continue;
    }
    const target = tensor.name.slice(0, -'.lora_a'.length);
    const pair = halves.get(target) ?? {};
    pair[half] = tensor;
    halves.set(target, pair);
    if (!adapterTypes.includes(tensor.type.name))
      problems.push(
        `tensor ${tensor.name} is ${tensor.type.name} (ggml type ${tensor.type.id}); adapters hold ${adapterTypes.join(', ')}`,
      );
  }
  const pairs: LoraAdapterPair[] = [];
  for (const [target, { a, b }] of halves) {
    if (!a || !b) {
      problems.push(`${target} has a ${a ? 'lora_a' : 'lora_b'} but no ${a ? 'lora_b' : 'lora_a'}`);
      continue;
    }
    if (a.dimensions.length !== 2 || b.dimensions.length !== 2) {
      problems.push(
        `${target}'s lora_a is [${a.dimensions.join(', ')}] and lora_b [${b.dimensions.join(', ')}]: both must be matrices`,
      );
      continue;
    }
    const [a0, a1] = a.dimensions as [number, number];
    const [b0, b1] = b.dimensions as [number, number];
    // token_embd's factors are flipped by the converter (llama.cpp's llm_build_inp_embd reads them so).
    const flipped = target.endsWith('token_embd.weight');
    const pair = flipped
      ? { target, inputs: b1, outputs: a1, rank: a0, otherRank: b0 }
      : { target, inputs: a0, outputs: b1, rank: a1, otherRank: b0 };
    if (pair.rank !== pair.otherRank || pair.rank === 0) {
      problems.push(
        `${target}'s lora_a is [${a0}, ${a1}] and lora_b [${b0}, ${b1}]: their ranks disagree (lora_a must be [inputs, rank] and lora_b [rank, outputs])`,
      );
      continue;
    }
    pairs.push({ target, inputs: pair.inputs, outputs: pair.outputs, rank: pair.rank });
  }
  if (halves.size === 0) problems.push('it holds no .lora_a / .lora_b tensors');
  if (problems.length > 0)
    throw new ValidationError(`${label} is not a LoRA adapter llama.cpp can load: ${problems.join('; ')}`);
  return { architecture, alpha, pairs };
}
