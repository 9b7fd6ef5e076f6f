import { open } from 'node:fs/promises';
import { ValidationError } from '../../core/errors.ts';

const headerBytes = 24;
// The smallest a metadata entry (key length, one-byte key, type, one-byte value) and a tensor
// description (name length, one-byte name, dimension count, one dimension, type, offset) can be.
const minimumEntryBytes = 8 + 1 + 4 + 1;
const minimumTensorBytes = 8 + 1 + 4 + 8 + 4 + 8;

/**
 * Rejects a file that starts like GGUF but whose header promises more tensors or metadata than
 * the file can hold (truncated downloads, corrupt copies). node-llama-cpp's parser trusts those
 * counts and would allocate for them for minutes; a wrong magic is left for it to report. `label`
 * names the file in errors.
 */
export async function checkGgufHeader(path: string, label = path): Promise<void> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const header = Buffer.alloc(headerBytes);
    const { bytesRead } = await file.read(header, 0, headerBytes, 0);
    if (bytesRead < 4 || header.toString('latin1', 0, 4) !== 'GGUF') return;
    if (bytesRead < headerBytes) {
      throw new ValidationError(
        `${label} is not a usable GGUF file: it ends inside its ${headerBytes}-byte header`,
      );
    }
    const version = header.readUInt32LE(4);
    const tensors = header.readBigUInt64LE(8);
    const entries = header.readBigUInt64LE(16);
    if (version < 2 || version > 3) {
      throw new ValidationError(`${label} is GGUF version ${version}; llama.cpp reads versions 2 and 3`);
    }
    const needed =
      BigInt(headerBytes) + tensors * BigInt(minimumTensorBytes) + entries * BigInt(minimumEntryBytes);
    if (needed > BigInt(size)) {
      throw new ValidationError(
        `${label} is not a usable GGUF file: its header lists ${tensors} tensors and ${entries} metadata entries, more than its ${size} bytes can hold (truncated or corrupt; copy or convert it again)`,
      );
    }
  } finally {
    await file.close();
  }
}
