import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const root = resolve(import.meta.dirname, '..');

const PackageJson = z.object({ allowScripts: z.record(z.string(), z.boolean()) });
const PackageLock = z.object({
  packages: z.record(z.string(), z.object({ hasInstallScript: z.boolean().optional() })),
});

const { allowScripts } = PackageJson.parse(JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')));
const lock = PackageLock.parse(JSON.parse(readFileSync(resolve(root, 'package-lock.json'), 'utf8')));

/** `pkg` or `@scope/pkg`, from an allowScripts key that may be pinned (`pkg@1.2.3`). */
const nameOf = (key: string) => key.replace(/(?<=.)@[^@]*$/, '');

/** Every package in the lock file whose preinstall, install or postinstall script npm would run. */
const withInstallScripts = [
  ...new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  ),
].sort();

describe('install-script policy (package.json allowScripts)', () => {
  it('names every dependency that has an install script, allowed or denied', () => {
    const reviewed = new Set(Object.keys(allowScripts).map(nameOf));
    const unreviewed = withInstallScripts.filter((name) => !reviewed.has(name));
    expect(
      unreviewed,
      `these dependencies bring install scripts nobody has reviewed: ${unreviewed.join(', ')}. ` +
        'Read each script; add "name": true to allowScripts in package.json if the package cannot work ' +
        'without it, or "name": false if it can (npm 12 runs only the scripts allowScripts approves).',
    ).toEqual([]);
  });

  it('allows exactly better-sqlite3, which must compile its native binding', () => {
    const allowed = Object.entries(allowScripts)
      .filter(([, allow]) => allow)
      .map(([key]) => nameOf(key));
    expect(allowed).toEqual(['better-sqlite3']);
    // onnxruntime-node's script would download CUDA files from NuGet; its CPU binary ships in the package.
    expect(allowScripts['onnxruntime-node']).toBe(false);
  });

  it('keeps no entry for a package that no longer has an install script', () => {
    const stale = Object.keys(allowScripts).filter((key) => !withInstallScripts.includes(nameOf(key)));
    expect(
      stale,
      `remove these from allowScripts (or run npm install-scripts prune): ${stale.join(', ')}`,
    ).toEqual([]);
  });
});
