import { z } from 'zod';
import { ValidationError } from '../../../core/errors.ts';
import { LossPoint } from '../../../core/types/model-version.ts';
import type { AdamState } from '../local/adam-optimizer.ts';
import type { LoraPairValues } from './lora-adapters.ts';

/**
 * Everything a LoRA run needs to go on after its worker died: the adapter and optimizer tensors,
 * the step reached, the loss curve so far, and a fingerprint of what the run trains (base file,
 * dataset, hyper-parameters) so a checkpoint is never resumed into another run.
 */
export type LoraCheckpoint = {
  fingerprint: string;
  step: number;
  trainTokens: number;
  trainMilliseconds: number;
  lossCurve: LossPoint[];
  /** Losses since the last curve point, so the next point's mean is the same as without a crash. */
  recentLosses: number[];
  optimizerSteps: number;
  tensors: Map<string, Float32Array>;
};

const magic = 'TWINLORA1\n';

const Header = z.object({
  fingerprint: z.string(),
  step: z.number().int().nonnegative(),
  trainTokens: z.number().nonnegative(),
  trainMilliseconds: z.number().nonnegative(),
  lossCurve: z.array(LossPoint),
  recentLosses: z.array(z.number()),
  optimizerSteps: z.number().int().nonnegative(),
  tensors: z.array(z.object({ name: z.string(), length: z.number().int().nonnegative() })),
});

/** Magic, a little-endian u32 header length, the JSON header, padding to 4, then float32 data. */
export function encodeLoraCheckpoint(checkpoint: LoraCheckpoint): Uint8Array {
  const { tensors, ...rest } = checkpoint;
  const header = Buffer.from(
    JSON.stringify({
      ...rest,
      tensors: [...tensors].map(([name, values]) => ({ name, length: values.length })),
    }),
    'utf8',
  );
  const start = magic.length + 4 + header.length;
  const dataStart = Math.ceil(start / 4) * 4;
  const floats = [...tensors.values()].reduce((sum, values) => sum + values.length, 0);
  const bytes = new Uint8Array(dataStart + floats * 4);
  bytes.set(Buffer.from(magic, 'latin1'), 0);
  new DataView(bytes.buffer).setUint32(magic.length, header.length, true);
  bytes.set(header, magic.length + 4);
  const data = new Float32Array(bytes.buffer, dataStart, floats);
  let offset = 0;
  for (const values of tensors.values()) {
    data.set(values, offset);
    offset += values.length;
  }
  return bytes;
}

/** Reads what `encodeLoraCheckpoint` wrote; a clear error for anything else or a cut file. */
export function decodeLoraCheckpoint(bytes: Uint8Array, label: string): LoraCheckpoint {
  const corrupt = (why: string) => new ValidationError(`LoRA checkpoint ${label} is unusable: ${why}`);
  if (Buffer.from(bytes.subarray(0, magic.length)).toString('latin1') !== magic)
    throw corrupt('it is not a LoRA checkpoint');
  if (bytes.length < magic.length + 4) throw corrupt('it ends inside its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(magic.length, true);
  const start = magic.length + 4 + headerLength;
  if (start > bytes.length) throw corrupt('it ends inside its header');
  let header: z.infer<typeof Header>;
  try {
    header = Header.parse(JSON.parse(Buffer.from(bytes.subarray(magic.length + 4, start)).toString('utf8')));
  } catch (error) {
    throw corrupt(
      `its header does not parse (${error instanceof Error ? error.message.split('\n')[0] : error})`,
    );
  }
  const dataStart = Math.ceil(start / 4) * 4;
  const floats = header.tensors.reduce((sum, tensor) => sum + tensor.length, 0);
  if (dataStart + floats * 4 !== bytes.length)
    throw corrupt(`it holds ${bytes.length} bytes, its header describes ${dataStart + floats * 4}`);
  // A copy: the bytes' buffer may be shared or unaligned.
  const data = new Float32Array(bytes.slice(dataStart).buffer);
  const tensors = new Map<string, Float32Array>();
  let offset = 0;
  for (const tensor of header.tensors) {
    tensors.set(tensor.name, data.slice(offset, offset + tensor.length));
    offset += tensor.length;
  }
  const { tensors: _described, ...rest } = header;
  return { ...rest, tensors };
}

/*
 * Tensor names inside a checkpoint, for an adapted base tensor W: `W.lora_a` and `W.lora_b` (the
 * adapter, as in its GGUF file), and `W.lora_a.first`… `W.lora_b.second` (AdamW's moments). The
 * optimizer's variables are A then B for each adapted tensor in order (LoraAdapters.variables).
 */

/** The tensors a checkpoint keeps: each adapted tensor's A and B and their two AdamW moments. */
export function checkpointTensors(
  names: readonly string[],
  values: ReadonlyMap<string, LoraPairValues>,
  state: AdamState,
): Map<string, Float32Array> {
  const tensors = new Map<string, Float32Array>();
  names.forEach((name, index) => {
    const pair = values.get(name);
    if (!pair) throw new Error(`no LoRA values for ${name}`);
    tensors.set(`${name}.lora_a`, pair.a);
    tensors.set(`${name}.lora_b`, pair.b);
    for (const which of ['first', 'second'] as const) {
      tensors.set(`${name}.lora_a.${which}`, state[which][2 * index] as Float32Array);
      tensors.set(`${name}.lora_b.${which}`, state[which][2 * index + 1] as Float32Array);
    }
  });
  return tensors;
}

/** The adapter values a checkpoint holds, keyed by adapted tensor. */
export function checkpointAdapterValues(checkpoint: LoraCheckpoint): Map<string, LoraPairValues> {
  const values = new Map<string, LoraPairValues>();
  for (const [name, a] of checkpoint.tensors) {
    const match = /^(.*)\.lora_a$/.exec(name);
    const b = match ? checkpoint.tensors.get(`${match[1]}.lora_b`) : undefined;
    if (match && b) values.set(match[1] as string, { a, b });
  }
  return values;
}

/** AdamW's state as the checkpoint kept it, for the adapted tensors `names` in order. */
export function checkpointOptimizerState(checkpoint: LoraCheckpoint, names: readonly string[]): AdamState {
  const moment = (name: string, half: 'a' | 'b', which: 'first' | 'second') => {
    const key = `${name}.lora_${half}.${which}`;
    const values = checkpoint.tensors.get(key);
    if (!values) throw new ValidationError(`the LoRA checkpoint has no ${key}`);
    return values;
  };
  return {
    steps: checkpoint.optimizerSteps,
    first: names.flatMap((name) => [moment(name, 'a', 'first'), moment(name, 'b', 'first')]),
    second: names.flatMap((name) => [moment(name, 'a', 'second'), moment(name, 'b', 'second')]),
  };
}
