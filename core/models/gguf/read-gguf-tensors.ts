import { open } from 'node:fs/promises';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { dequantizableTypes, dequantize } from './dequantize.ts';
import { type GgufHeader, type GgufTensorDescription, readGgufHeader } from './read-gguf-header.ts';

/** An open GGUF file: its header, read whole, and its tensors, read one at a time on demand. */
export type GgufTensorFile = GgufHeader & {
  readonly path: string;
  /**
   * Reads that tensor's bytes (and nothing else) from disk and dequantises them to float32, in the
   * order of `dimensions` (fastest-varying first). Throws NotFoundError for a name the file does not
   * have, and ValidationError for a type outside `dequantizableTypes`.
   */
  loadTensor(name: string): Promise<Float32Array>;
  /** Closes the file; `loadTensor` cannot be called after. */
  close(): Promise<void>;
};

/**
 * Opens a GGUF file and reads its header (readGgufHeader: every check of it included). The
 * weights stay on disk until `loadTensor` asks for one; the caller closes the file. `label` names
 * the file in errors.
 */
export async function readGgufTensors(path: string, label = path): Promise<GgufTensorFile> {
  const header = await readGgufHeader(path, label);
  const file = await open(path, 'r');
  const byName = new Map<string, GgufTensorDescription>(
    header.tensors.map((tensor) => [tensor.name, tensor]),
  );
  let closed = false;
  return {
    ...header,
    path,
    async loadTensor(name) {
      if (closed) throw new Error(`${label} is closed: open it again to load tensor ${name}`);
      const tensor = byName.get(name);
      if (!tensor) throw new NotFoundError(`${label} has no tensor named ${name}`);
      if (!dequantizableTypes.includes(tensor.type.name))
        throw new ValidationError(
          `tensor ${name} in ${label} is ${tensor.type.name} (ggml type ${tensor.type.id}), which cannot be dequantised here; supported: ${dequantizableTypes.join(', ')}`,
        );
      const bytes = new Uint8Array(tensor.byteLength);
      const start = header.dataOffset + tensor.offset;
      for (let filled = 0; filled < bytes.length; ) {
        const { bytesRead } = await file.read(bytes, filled, bytes.length - filled, start + filled);
        if (bytesRead === 0)
          throw new ValidationError(
            `${label} ends inside tensor ${name}'s data: the file shrank after it was opened`,
          );
        filled += bytesRead;
      }
      return dequantize(tensor.type, bytes, tensor.elements);
    },
    async close() {
      if (closed) return;
      closed = true;
      await file.close();
    },
  };
}
