import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl } from '../../http/__fixtures__/closed-port-url.ts';
import { writeTinyGguf } from '../__fixtures__/write-tiny-gguf.ts';
import { startHubServer } from './__fixtures__/start-hub-server.ts';
import { parseModelPullReference } from './model-pull-reference.ts';
import { pullModel } from './pull-model.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-pull-model-'));
const cacheDir = join(folder, 'cache');
const local = join(folder, 'My Model_v2.Q8_0.gguf');
let localSha256 = '';

beforeAll(async () => {
  await writeTinyGguf(local, { licence: 'mit' });
  localSha256 = createHash('sha256').update(readFileSync(local)).digest('hex');
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('pullModel', () => {
  it('uses a local GGUF file in place, named after the file, with what its header says', async () => {
    const pulled = await pullModel(parseModelPullReference(`file:${local}`), { cacheDir });
    expect(pulled).toEqual({
      path: local,
      sha256: localSha256,
      source: 'local file',
      cached: false,
      origin: { source: `file:${local}`, licence: 'mit', parameters: 11_088 },
      name: 'my-model-v2.q8-0',
      notes: [],
    });
    // Registered in place: nothing was copied into the cache.
    expect(readdirSync(folder)).toEqual(['My Model_v2.Q8_0.gguf']);
  });

  it('takes --name and --sha256 (any case) for a local file, and refuses a sha256 that does not match', async () => {
    const named = await pullModel(parseModelPullReference(`file:${local}`), {
      cacheDir,
      name: 'house-model',
      sha256: localSha256.toUpperCase(),
    });
    expect(named).toMatchObject({ name: 'house-model', sha256: localSha256 });
    await expect(
      pullModel(parseModelPullReference(`file:${local}`), { cacheDir, sha256: 'f'.repeat(64) }),
    ).rejects.toThrow(`hash mismatch: ${local} has sha256 ${localSha256}, expected ${'f'.repeat(64)}`);
  });

  it('refuses a missing path, a folder and a file that is not GGUF', async () => {
    const missing = join(folder, 'missing.gguf');
    await expect(pullModel(parseModelPullReference(`file:${missing}`), { cacheDir })).rejects.toThrow(
      `GGUF file ${missing} not found`,
    );
    const directory = join(folder, 'a-folder.gguf');
    mkdirSync(directory);
    await expect(pullModel(parseModelPullReference(`file:${directory}`), { cacheDir })).rejects.toThrow(
      `${directory} is not a file`,
    );
    rmSync(directory, { recursive: true });
    const text = join(folder, 'notes.gguf');
    writeFileSync(text, 'not weights');
    await expect(pullModel(parseModelPullReference(`file:${text}`), { cacheDir })).rejects.toThrow(
      `${text} is not a GGUF file: it starts with "not ", not "GGUF"`,
    );
    rmSync(text);
  });

  it('checks --name and --sha256 before fetching anything', async () => {
    // The hub address refuses connections: reaching it would be a different error.
    const options = { cacheDir, huggingFaceUrl: await closedPortUrl() };
    const reference = parseModelPullReference('hf:acme/tiny-GGUF/tiny.gguf');
    await expect(pullModel(reference, { ...options, name: 'Tiny Model' })).rejects.toThrow(
      'invalid model name "Tiny Model"',
    );
    await expect(pullModel(reference, { ...options, sha256: 'abc' })).rejects.toThrow(
      '--sha256 abc is not a sha256 (64 hexadecimal digits)',
    );
    await expect(pullModel(parseModelPullReference('hf:acme/tiny-GGUF/___.gguf'), options)).rejects.toThrow(
      'cannot make a model name out of ___.gguf: give one with --name',
    );
    await expect(
      pullModel(parseModelPullReference('smollm2-135m-instruct'), { ...options, sha256: '0'.repeat(64) }),
    ).rejects.toThrow(
      `hash mismatch: --sha256 ${'0'.repeat(64)} is not the sha256 the catalog pins for smollm2-135m-instruct (b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53)`,
    );
  });

  it('pulls a Hugging Face file, named after FILE with its folders, with the origin the registry records', async () => {
    const commit = '1'.repeat(40);
    const hub = await startHubServer([
      {
        repository: 'acme/tiny-GGUF',
        commit,
        file: 'quants/Tiny_Chat.Q8_0.gguf',
        bytes: readFileSync(local),
      },
    ]);
    try {
      const pulled = await pullModel(
        parseModelPullReference(`hf:acme/tiny-GGUF/quants/Tiny_Chat.Q8_0.gguf@${commit}`),
        {
          cacheDir,
          huggingFaceUrl: hub.url,
        },
      );
      expect(pulled).toEqual({
        path: join(cacheDir, 'hf', 'acme', 'tiny-GGUF', commit, 'quants', 'Tiny_Chat.Q8_0.gguf'),
        sha256: localSha256,
        source: 'Hugging Face (acme/tiny-GGUF@111111111111)',
        cached: false,
        origin: {
          source: `hf:acme/tiny-GGUF/quants/Tiny_Chat.Q8_0.gguf@${commit}`,
          licence: 'mit',
          parameters: 11_088,
        },
        name: 'quants-tiny-chat.q8-0',
        notes: [],
      });
    } finally {
      await hub.close();
    }
  });
});
