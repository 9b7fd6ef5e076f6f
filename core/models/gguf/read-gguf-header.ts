import { open } from 'node:fs/promises';
import { ValidationError } from '../../errors.ts';
import { checkGgufHeader } from '../gguf-header.ts';
import { type GgmlType, ggmlByteLength, ggmlTypeById } from './ggml-types.ts';
import { type GgufMetadataEntry, type GgufMetadataValue, SequentialReader } from './sequential-reader.ts';

export type { GgufMetadataEntry, GgufMetadataValue, GgufValueType } from './sequential-reader.ts';

/** One tensor as a GGUF file describes it. */
export type GgufTensorDescription = {
  readonly name: string;
  /** In GGUF's order, fastest-varying first: a matrix of `rows` rows of `columns` values is `[columns, rows]`. */
  readonly dimensions: readonly number[];
  readonly type: GgmlType;
  /** The product of the dimensions. */
  readonly elements: number;
  /** Where the tensor's data starts, counted from the start of the data section (as the file states it). */
  readonly offset: number;
  readonly byteLength: number;
};

/** Everything before a GGUF file's tensor data, and where that data starts. */
export type GgufHeader = {
  /** GGUF version, 2 or 3. */
  readonly version: number;
  /** Every metadata entry with its type, in file order. */
  readonly metadata: ReadonlyMap<string, GgufMetadataEntry>;
  /** `general.alignment`, or GGUF's default of 32 when the file does not state it. */
  readonly alignment: number;
  /** Where in the file the data section starts: the end of the descriptions, rounded up to `alignment`. */
  readonly dataOffset: number;
  /** In file order. */
  readonly tensors: readonly GgufTensorDescription[];
  readonly fileSize: number;
};

const defaultAlignment = 32;
// ggml tensors have at most four dimensions (GGML_MAX_DIMS).
const maximumDimensions = 4;

/**
 * Reads a GGUF v2 or v3 file's header, never its tensor data: all metadata with its types, and
 * every tensor's name, shape, ggml type and place, checked to lie inside the file. Refuses a file
 * that is not GGUF, or that llama.cpp would refuse for its header. `label` names the file in
 * errors (a download's temporary path means nothing to the user).
 */
export async function readGgufHeader(path: string, label = path): Promise<GgufHeader> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const reader = new SequentialReader(file, label, size);
    const magic = await reader.bytes(4).catch(() => Buffer.alloc(0));
    if (magic.toString('latin1') !== 'GGUF')
      throw new ValidationError(
        `${label} is not a GGUF file: it starts with ${JSON.stringify(magic.toString('latin1'))}, not "GGUF"`,
      );
    // Refuses other versions, and counts the file cannot hold, before anything loops over them.
    await checkGgufHeader(path, label);
    const version = await reader.u32();
    const tensorCount = await reader.count('the tensor count');
    const entryCount = await reader.count('the metadata entry count');

    const metadata = new Map<string, GgufMetadataEntry>();
    for (let entry = 0; entry < entryCount; entry++) {
      const key = await reader.string();
      const value = await reader.entry(await reader.u32());
      if (metadata.has(key)) throw reader.corrupt(`its metadata has the key ${key} twice`);
      metadata.set(key, value);
    }
    const alignment = alignmentOf(metadata, reader);

    const tensors: GgufTensorDescription[] = [];
    const names = new Set<string>();
    for (let index = 0; index < tensorCount; index++) {
      const name = await reader.string();
      if (names.has(name)) throw reader.corrupt(`it lists the tensor ${name} twice`);
      names.add(name);
      const dimensionCount = await reader.u32();
      if (dimensionCount > maximumDimensions)
        throw reader.corrupt(
          `tensor ${name} has ${dimensionCount} dimensions; ggml allows at most ${maximumDimensions}`,
        );
      const dimensions: number[] = [];
      for (let dimension = 0; dimension < dimensionCount; dimension++)
        dimensions.push(await reader.count(`a dimension of tensor ${name}`));
      const typeId = await reader.u32();
      const offset = await reader.count(`the offset of tensor ${name}`);
      tensors.push(describe(reader, { name, dimensions, typeId, offset, alignment }));
    }

    const dataOffset = Math.ceil(reader.offset / alignment) * alignment;
    for (const tensor of tensors) {
      const end = dataOffset + tensor.offset + tensor.byteLength;
      if (end > size)
        throw reader.corrupt(
          `tensor ${tensor.name}'s data ends at byte ${end}, past the end of the file (${size} bytes): it was cut short`,
        );
    }
    return { version, metadata, alignment, dataOffset, tensors, fileSize: size };
  } finally {
    await file.close();
  }
}

/** The metadata's values without their types, for readers that check values, not types. */
export function ggufMetadataValues(
  metadata: ReadonlyMap<string, GgufMetadataEntry>,
): Map<string, GgufMetadataValue> {
  return new Map([...metadata].map(([key, { value }]) => [key, value]));
}

function alignmentOf(metadata: Map<string, GgufMetadataEntry>, reader: SequentialReader): number {
  const entry = metadata.get('general.alignment');
  if (entry === undefined) return defaultAlignment;
  // llama.cpp reads it with gguf_get_val_u32, which aborts the process on any other type.
  if (entry.type !== 'uint32') throw reader.corrupt(`its general.alignment is a ${entry.type}, not a uint32`);
  // ggml needs a power of two: data offsets are rounded up to it.
  if (entry.value === 0 || (entry.value & (entry.value - 1)) !== 0)
    throw reader.corrupt(`its general.alignment is ${entry.value}, not a power of two`);
  return entry.value;
}

function describe(
  reader: SequentialReader,
  tensor: { name: string; dimensions: number[]; typeId: number; offset: number; alignment: number },
): GgufTensorDescription {
  const { name, dimensions, typeId, offset, alignment } = tensor;
  const type = ggmlTypeById(typeId);
  if (!type) throw reader.corrupt(`tensor ${name} has ggml type ${typeId}, which ggml does not define`);
  const rowLength = dimensions[0] ?? 1;
  if (rowLength % type.blockElements !== 0)
    throw reader.corrupt(
      `tensor ${name} has rows of ${rowLength} values, which ${type.name}'s blocks of ${type.blockElements} cannot hold`,
    );
  const elements = dimensions.reduce((product, dimension) => product * dimension, 1);
  if (!Number.isSafeInteger(elements)) throw reader.corrupt(`tensor ${name} has more elements than it can`);
  if (offset % alignment !== 0)
    throw reader.corrupt(
      `tensor ${name} starts at offset ${offset}, not a multiple of the alignment ${alignment}`,
    );
  return { name, dimensions, type, elements, offset, byteLength: ggmlByteLength(type, elements) };
}
