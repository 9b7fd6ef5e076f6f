import { type FileHandle, open } from 'node:fs/promises';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { checkGgufHeader } from '../gguf-header.ts';
import { dequantizableTypes, dequantize } from './dequantize.ts';
import { type GgmlType, ggmlByteLength, ggmlTypeById } from './ggml-types.ts';
import { type GgufMetadataValue, SequentialReader } from './sequential-reader.ts';

export type { GgufMetadataValue } from './sequential-reader.ts';

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

/** An open GGUF file: its header, read whole, and its tensors, read one at a time on demand. */
export type GgufTensorFile = {
  readonly path: string;
  /** GGUF version, 2 or 3. */
  readonly version: number;
  /** Every metadata entry, in file order. */
  readonly metadata: ReadonlyMap<string, GgufMetadataValue>;
  /** `general.alignment`, or GGUF's default of 32 when the file does not state it. */
  readonly alignment: number;
  /** Where in the file the data section starts. */
  readonly dataOffset: number;
  /** In file order. */
  readonly tensors: readonly GgufTensorDescription[];
  /**
   * Reads that tensor's bytes (and nothing else) from disk and dequantises them to float32, in the
   * order of `dimensions` (fastest-varying first). Throws NotFoundError for a name the file does not
   * have, and ValidationError for a type outside `dequantizableTypes`.
   */
  loadTensor(name: string): Promise<Float32Array>;
  /** Closes the file; `loadTensor` cannot be called after. */
  close(): Promise<void>;
};

const defaultAlignment = 32;
// ggml tensors have at most four dimensions (GGML_MAX_DIMS).
const maximumDimensions = 4;

/**
 * Opens a GGUF v2 or v3 file and reads its header: all metadata, and every tensor's name, shape,
 * ggml type and place, checked to lie inside the file. The weights stay on disk until
 * `loadTensor` asks for one; the caller closes the file. `label` names the file in errors.
 */
export async function readGgufTensors(path: string, label = path): Promise<GgufTensorFile> {
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

    const metadata = new Map<string, GgufMetadataValue>();
    for (let entry = 0; entry < entryCount; entry++) {
      const key = await reader.string();
      const { value } = await reader.entry(await reader.u32());
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
    return new OpenGgufFile(file, path, label, { version, metadata, alignment, dataOffset, tensors });
  } catch (error) {
    await file.close();
    throw error;
  }
}

function alignmentOf(metadata: Map<string, GgufMetadataValue>, reader: SequentialReader): number {
  const value = metadata.get('general.alignment');
  if (value === undefined) return defaultAlignment;
  // ggml needs a power of two: data offsets are rounded up to it.
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || (value & (value - 1)) !== 0)
    throw reader.corrupt(`its general.alignment is ${String(value)}, not a power of two`);
  return value;
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

class OpenGgufFile implements GgufTensorFile {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufMetadataValue>;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly tensors: readonly GgufTensorDescription[];
  private readonly byName: Map<string, GgufTensorDescription>;
  private closed = false;

  constructor(
    private readonly file: FileHandle,
    readonly path: string,
    private readonly label: string,
    header: Pick<GgufTensorFile, 'version' | 'metadata' | 'alignment' | 'dataOffset' | 'tensors'>,
  ) {
    this.version = header.version;
    this.metadata = header.metadata;
    this.alignment = header.alignment;
    this.dataOffset = header.dataOffset;
    this.tensors = header.tensors;
    this.byName = new Map(header.tensors.map((tensor) => [tensor.name, tensor]));
  }

  async loadTensor(name: string): Promise<Float32Array> {
    if (this.closed) throw new Error(`${this.label} is closed: open it again to load tensor ${name}`);
    const tensor = this.byName.get(name);
    if (!tensor) throw new NotFoundError(`${this.label} has no tensor named ${name}`);
    if (!dequantizableTypes.includes(tensor.type.name))
      throw new ValidationError(
        `tensor ${name} in ${this.label} is ${tensor.type.name} (ggml type ${tensor.type.id}), which cannot be dequantised here; supported: ${dequantizableTypes.join(', ')}`,
      );
    const bytes = new Uint8Array(tensor.byteLength);
    const start = this.dataOffset + tensor.offset;
    for (let filled = 0; filled < bytes.length; ) {
      const { bytesRead } = await this.file.read(bytes, filled, bytes.length - filled, start + filled);
      if (bytesRead === 0)
        throw new ValidationError(
          `${this.label} ends inside tensor ${name}'s data: the file shrank after it was opened`,
        );
      filled += bytesRead;
    }
    return dequantize(tensor.type, bytes, tensor.elements);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }
}
