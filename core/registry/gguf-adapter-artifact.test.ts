import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSha256 } from '../hashing.ts';
import { registeredVersion } from '../models/__fixtures__/registered-version.ts';
import { type TinyAdapters, writeTinyAdapters } from '../models/__fixtures__/write-tiny-adapters.ts';
import { writeTinyGguf } from '../models/__fixtures__/write-tiny-gguf.ts';
import { ModelVersion } from '../types/model-version.ts';
import { ggufAdapterArtifact } from './gguf-adapter-artifact.ts';

let folder: string;
let tiny: TinyAdapters;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gguf-adapter-artifact-'));
  tiny = await writeTinyAdapters(folder);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const baseVersion = (artifact: ModelVersion['artifact']) =>
  registeredVersion(artifact, { name: 'tiny-base', version: 1, backend: 'gguf' });

describe('ggufAdapterArtifact', () => {
  it('pins an adapter to its registered base: version, file and sha256, and the adapter’s own sha256', async () => {
    const artifact = await ggufAdapterArtifact(baseVersion({ kind: 'gguf', ...tiny.base }), tiny.sunny.path);
    expect(artifact).toEqual({
      kind: 'gguf-adapter',
      base: { name: 'tiny-base', version: 1, ...tiny.base },
      adapter: tiny.sunny,
    });
    // Stored versions of every earlier kind still parse beside it.
    expect(ModelVersion.parse(registeredVersion(artifact)).artifact).toEqual(artifact);
    expect(
      ModelVersion.parse(registeredVersion({ kind: 'gguf', path: '/m.gguf', sha256: null })).artifact,
    ).toEqual({
      kind: 'gguf',
      path: '/m.gguf',
      sha256: null,
    });
  });

  it('refuses a base that is not a pinned GGUF file, a base file changed since, and an adapter that does not fit', async () => {
    await expect(
      ggufAdapterArtifact(
        baseVersion({
          kind: 'openai-compatible',
          baseUrl: 'https://api.openai.com/v1',
          model: 'gpt-4o-mini',
        }),
        tiny.sunny.path,
      ),
    ).rejects.toThrow(
      'tiny-base:1 is not a GGUF base model (its artifact is openai-compatible): a LoRA adapter runs on a GGUF file',
    );
    await expect(
      ggufAdapterArtifact(baseVersion({ kind: 'gguf', path: tiny.base.path, sha256: null }), tiny.sunny.path),
    ).rejects.toThrow(
      `tiny-base:1 was registered without a sha256, so an adapter could not be pinned to it: register the file again with \`twin models pull file:${tiny.base.path}\``,
    );
    const changed = join(folder, 'changed-base.gguf');
    await writeTinyGguf(changed, { word: 'dreamy', otherWords: ['sunny', 'quiet'] });
    await expect(
      ggufAdapterArtifact(
        baseVersion({ kind: 'gguf', path: changed, sha256: tiny.base.sha256 }),
        tiny.sunny.path,
      ),
    ).rejects.toThrow(
      new RegExp(
        `^the file of base model tiny-base:1, ${changed}, has sha256 [0-9a-f]{64}, but tiny-base:1 was registered with ${tiny.base.sha256}: the file changed since`,
      ),
    );
    const plain = join(folder, 'plain.gguf');
    await writeTinyGguf(plain);
    const sha256 = await fileSha256(plain);
    // The adapters' head has 275 rows; the plain tiny model's vocabulary has 265 tokens.
    await expect(
      ggufAdapterArtifact(baseVersion({ kind: 'gguf', path: plain, sha256 }), tiny.sunny.path),
    ).rejects.toThrow(
      `LoRA adapter ${tiny.sunny.path} does not fit base model tiny-base:1 (a wrong base?): output.weight is [16, 265] in the base, the adapter's pair is for [16, 275]`,
    );
    await expect(
      ggufAdapterArtifact(baseVersion({ kind: 'gguf', ...tiny.base }), join(folder, 'nowhere.gguf')),
    ).rejects.toThrow(`LoRA adapter file ${join(folder, 'nowhere.gguf')} not found`);
  });
});
