import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyGguf } from './__fixtures__/write-tiny-gguf.ts';
import { readGgufSummary } from './gguf-summary.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-gguf-summary-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('readGgufSummary', () => {
  it('reads the licence and adds up the tensors into a parameter count', async () => {
    const path = join(folder, 'licensed.gguf');
    await writeTinyGguf(path, { licence: 'apache-2.0' });
    // The tiny model: token_embd and output are 16 × 265 each (vocabulary: 3 specials, 256 bytes,
    // `▁boring` and its 5 merge prefixes), four 16 × 16 attention matrices, three 16 × 32
    // feed-forward matrices and three 16-wide norms: 2·4240 + 4·256 + 3·512 + 3·16 = 11 088.
    expect(await readGgufSummary(path)).toEqual({ licence: 'apache-2.0', parameters: 11_088 });
  });

  it('leaves the licence undefined when the file does not state one', async () => {
    const path = join(folder, 'plain.gguf');
    await writeTinyGguf(path);
    expect(await readGgufSummary(path)).toEqual({ parameters: 11_088 });
  });

  it('refuses a file that is not GGUF, naming it by its label', async () => {
    const path = join(folder, 'page.html');
    writeFileSync(path, '<!doctype html><title>Sign in</title>');
    await expect(readGgufSummary(path, 'the downloaded file')).rejects.toThrow(
      'the downloaded file is not a GGUF file: it starts with "<!do", not "GGUF"',
    );
  });

  it('refuses a GGUF file cut off inside its metadata', async () => {
    const whole = join(folder, 'whole.gguf');
    await writeTinyGguf(whole);
    // 2 000 bytes still hold what the header's counts promise at the least (12 tensors, 18 entries:
    // 672 bytes), so only reading the vocabulary finds the end.
    const cut = join(folder, 'cut.gguf');
    writeFileSync(cut, readFileSync(whole).subarray(0, 2000));
    await expect(readGgufSummary(cut)).rejects.toThrow(
      `${cut} is not a usable GGUF file: it ends inside its metadata or tensor list`,
    );
  });
});
