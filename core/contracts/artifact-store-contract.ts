import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../hashing.ts';
import type { ArtifactStore } from '../ports/artifact-store.ts';

/** The behaviour every ArtifactStore adapter must have. */
export function runArtifactStoreContract(name: string, create: () => Promise<ArtifactStore>) {
  describe(`ArtifactStore contract: ${name}`, () => {
    let store: ArtifactStore;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores, lists, reads and deletes artifacts by key', async () => {
      const written = await store.put('models/twin/1/weights.bin', new Uint8Array([1, 2, 3]));
      expect(written).toEqual({ key: 'models/twin/1/weights.bin', bytes: 3, sha256: written.sha256 });
      await store.put('models/twin/1/loss.svg', '<svg/>');
      await store.put('datasets/d1.jsonl', '{}\n');
      expect(await store.list('models/twin/')).toEqual([
        'models/twin/1/loss.svg',
        'models/twin/1/weights.bin',
      ]);
      expect(Array.from(await store.get('models/twin/1/weights.bin'))).toEqual([1, 2, 3]);
      expect(new TextDecoder().decode(await store.get('models/twin/1/loss.svg'))).toBe('<svg/>');
      expect(sha256('<svg/>')).toBe((await store.put('x/y.svg', '<svg/>')).sha256);
      expect(await store.exists('datasets/d1.jsonl')).toBe(true);
      await store.delete('datasets/d1.jsonl');
      expect(await store.exists('datasets/d1.jsonl')).toBe(false);
      await expect(store.get('datasets/d1.jsonl')).rejects.toThrow(/not found/);
    });

    it('refuses keys that escape the store', async () => {
      await expect(store.put('../outside', 'x')).rejects.toThrow(/invalid artifact key/);
      await expect(store.put('/etc/passwd', 'x')).rejects.toThrow(/invalid artifact key/);
      await expect(store.put('a//b', 'x')).rejects.toThrow(/invalid artifact key/);
    });

    it('overwrites atomically', async () => {
      await store.put('a/b', 'old');
      await store.put('a/b', 'new');
      expect(new TextDecoder().decode(await store.get('a/b'))).toBe('new');
      expect(await store.list('a/')).toEqual(['a/b']);
    });
  });
}
