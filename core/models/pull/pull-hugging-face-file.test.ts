import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl } from '../../http/__fixtures__/closed-port-url.ts';
import { writeTinyGguf } from '../__fixtures__/write-tiny-gguf.ts';
import { fullDiskDestination } from './__fixtures__/full-disk-destination.ts';
import { type HubServer, startHubServer } from './__fixtures__/start-hub-server.ts';
import { pullHuggingFaceFile } from './pull-hugging-face-file.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-pull-hf-'));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const commitA = 'a'.repeat(40);
const commitB = 'b'.repeat(40);
let hub: HubServer;
let tiny: Buffer;
let tinyB: Buffer;

beforeAll(async () => {
  await writeTinyGguf(join(folder, 'tiny.gguf'), { licence: 'apache-2.0' });
  await writeTinyGguf(join(folder, 'tiny-b.gguf'), { word: 'lively' });
  tiny = readFileSync(join(folder, 'tiny.gguf'));
  tinyB = readFileSync(join(folder, 'tiny-b.gguf'));
  hub = await startHubServer(
    [
      { repository: 'acme/tiny-GGUF', commit: commitA, file: 'tiny.gguf', bytes: tiny },
      { repository: 'acme/tiny-GGUF', commit: commitB, file: 'tiny.gguf', bytes: tinyB },
      { repository: 'acme/tiny-GGUF', commit: commitA, file: 'quants/tiny.Q8_0.gguf', bytes: tiny },
      { repository: 'acme/tiny-GGUF', commit: commitA, file: 'README.md', bytes: Buffer.from('# tiny\n') },
    ],
    { main: commitA },
  );
});
afterAll(async () => {
  await hub.close();
  rmSync(folder, { recursive: true, force: true });
});

const file = (name: string, revision: string) => ({
  kind: 'hugging-face' as const,
  repository: 'acme/tiny-GGUF',
  revision,
  file: name,
});
/** Every path under the cache, so a test sees a stray scratch folder or half-written file. */
const contents = (cacheDir: string) =>
  existsSync(cacheDir) ? readdirSync(cacheDir, { recursive: true }) : [];
const requestsDuring = async (action: () => Promise<unknown>) => {
  const before = hub.requests.length;
  await action();
  return hub.requests.slice(before);
};

describe('pullHuggingFaceFile', () => {
  it('pulls a file at a commit through the redirect, records it, and pulling again sends no request', async () => {
    const cacheDir = join(folder, 'pinned');
    const progress: [number, number | undefined][] = [];
    let pulled: Awaited<ReturnType<typeof pullHuggingFaceFile>> | undefined;
    const requests = await requestsDuring(async () => {
      pulled = await pullHuggingFaceFile(file('quants/tiny.Q8_0.gguf', commitA), {
        cacheDir,
        huggingFaceUrl: hub.url,
        sha256: sha256(tiny),
        onProgress: (written, total) => progress.push([written, total]),
      });
    });
    const path = join(cacheDir, 'hf', 'acme', 'tiny-GGUF', commitA, 'quants', 'tiny.Q8_0.gguf');
    expect(pulled).toEqual({
      path,
      sha256: sha256(tiny),
      source: 'Hugging Face (acme/tiny-GGUF@aaaaaaaaaaaa)',
      cached: false,
      origin: `hf:acme/tiny-GGUF/quants/tiny.Q8_0.gguf@${commitA}`,
      summary: { licence: 'apache-2.0', parameters: 11_088 },
      notes: [],
    });
    expect(requests).toEqual([`GET /acme/tiny-GGUF/resolve/${commitA}/quants/tiny.Q8_0.gguf`, 'GET /cdn/2']);
    expect(readFileSync(path).equals(tiny)).toBe(true);
    expect(progress.at(-1)).toEqual([tiny.length, tiny.length]);
    expect(JSON.parse(readFileSync(`${path}.pull.json`, 'utf8'))).toEqual({
      reference: `hf:acme/tiny-GGUF/quants/tiny.Q8_0.gguf@${commitA}`,
      commit: commitA,
      bytes: tiny.length,
      sha256: sha256(tiny),
      pulledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(readdirSync(join(cacheDir, 'hf', 'acme', 'tiny-GGUF', commitA, 'quants'))).toEqual([
      'tiny.Q8_0.gguf',
      'tiny.Q8_0.gguf.pull.json',
    ]);

    const again = await requestsDuring(async () => {
      const cached = await pullHuggingFaceFile(file('quants/tiny.Q8_0.gguf', commitA), {
        cacheDir,
        huggingFaceUrl: hub.url,
      });
      expect(cached).toMatchObject({ path, sha256: sha256(tiny), source: 'cache', cached: true, notes: [] });
    });
    expect(again).toEqual([]);
  });

  it('re-hashes a cached file and downloads it again when it changed since it was pulled', async () => {
    const cacheDir = join(folder, 'tampered');
    const { path } = await pullHuggingFaceFile(file('tiny.gguf', commitA), {
      cacheDir,
      huggingFaceUrl: hub.url,
    });
    // Same size, one byte different: only the hash can tell.
    const changed = Buffer.from(tiny);
    changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 0xff, changed.length - 1);
    writeFileSync(path, changed);
    const again = await pullHuggingFaceFile(file('tiny.gguf', commitA), {
      cacheDir,
      huggingFaceUrl: hub.url,
    });
    expect(again).toMatchObject({ cached: false, sha256: sha256(tiny) });
    expect(readFileSync(path).equals(tiny)).toBe(true);
  });

  it('at a branch, downloads from the commit the branch is at and again only once the branch moved', async () => {
    const cacheDir = join(folder, 'branch');
    const path = join(cacheDir, 'hf', 'acme', 'tiny-GGUF', 'main', 'tiny.gguf');
    const first = await requestsDuring(async () => {
      const pulled = await pullHuggingFaceFile(file('tiny.gguf', 'main'), {
        cacheDir,
        huggingFaceUrl: hub.url,
      });
      expect(pulled).toMatchObject({
        path,
        cached: false,
        origin: `hf:acme/tiny-GGUF/tiny.gguf@main (commit ${commitA})`,
        notes: [],
      });
    });
    expect(first).toEqual([
      'HEAD /acme/tiny-GGUF/resolve/main/tiny.gguf',
      `GET /acme/tiny-GGUF/resolve/${commitA}/tiny.gguf`,
      'GET /cdn/0',
    ]);

    const unchanged = await requestsDuring(async () => {
      const pulled = await pullHuggingFaceFile(file('tiny.gguf', 'main'), {
        cacheDir,
        huggingFaceUrl: hub.url,
      });
      expect(pulled).toMatchObject({ cached: true, notes: [`main is still at commit ${commitA}`] });
    });
    expect(unchanged).toEqual(['HEAD /acme/tiny-GGUF/resolve/main/tiny.gguf']);

    hub.branches.set('main', commitB);
    const moved = await pullHuggingFaceFile(file('tiny.gguf', 'main'), { cacheDir, huggingFaceUrl: hub.url });
    expect(moved).toMatchObject({
      sha256: sha256(tinyB),
      cached: false,
      origin: `hf:acme/tiny-GGUF/tiny.gguf@main (commit ${commitB})`,
      summary: { parameters: 11_088 },
      notes: [`main moved from ${commitA} to ${commitB}, so the file was downloaded again`],
    });
    expect(readFileSync(path).equals(tinyB)).toBe(true);
    hub.branches.set('main', commitA);
  });

  it('refuses a file whose sha256 is not the one asked for, leaving nothing behind', async () => {
    const cacheDir = join(folder, 'mismatch');
    const failure = await pullHuggingFaceFile(file('tiny.gguf', commitA), {
      cacheDir,
      huggingFaceUrl: hub.url,
      sha256: '0'.repeat(64),
    }).catch((error: Error) => error);
    expect((failure as Error).message).toBe(
      `could not pull hf:acme/tiny-GGUF/tiny.gguf@${commitA} from Hugging Face at ${hub.url}: hash mismatch: got ${tiny.length} bytes with sha256 ${sha256(tiny)}, expected sha256 ${'0'.repeat(64)}`,
    );
    expect(contents(cacheDir)).toEqual([]);
  });

  it('refuses a file that is not GGUF, leaving nothing behind', async () => {
    const cacheDir = join(folder, 'not-gguf');
    const failure = await pullHuggingFaceFile(file('README.md', commitA), {
      cacheDir,
      huggingFaceUrl: hub.url,
    }).catch((error: Error) => error);
    expect((failure as Error).message).toBe(
      `could not pull hf:acme/tiny-GGUF/README.md@${commitA} from Hugging Face at ${hub.url}: the downloaded file is not a GGUF file: it starts with "# ti", not "GGUF"`,
    );
    expect(contents(cacheDir)).toEqual([]);
  });

  it('says which repository, file and revision were not found on a 404', async () => {
    const cacheDir = join(folder, 'missing');
    const failure = await pullHuggingFaceFile(file('huge.gguf', 'main'), {
      cacheDir,
      huggingFaceUrl: hub.url,
    }).catch((error: Error) => error);
    expect((failure as Error).message).toBe(
      `could not pull hf:acme/tiny-GGUF/huge.gguf@main from Hugging Face at ${hub.url}: not found: acme/tiny-GGUF has no file huge.gguf at revision main (the repository, the revision or the file does not exist; HEAD ${hub.url}/acme/tiny-GGUF/resolve/main/huge.gguf answered 404 Not Found)`,
    );
    const atCommit = await pullHuggingFaceFile(file('tiny.gguf', commitB.replace(/b/g, 'c')), {
      cacheDir,
      huggingFaceUrl: hub.url,
    }).catch((error: Error) => error);
    expect((atCommit as Error).message).toContain(
      `not found: acme/tiny-GGUF has no file tiny.gguf at revision ${'c'.repeat(40)} (the repository, the revision or the file does not exist; GET ${hub.url}/acme/tiny-GGUF/resolve/${'c'.repeat(40)}/tiny.gguf answered 404 Not Found)`,
    );
    expect(contents(cacheDir)).toEqual([]);
  });

  it('says the connection was refused when nothing listens at the hub address', async () => {
    const cacheDir = join(folder, 'refused');
    const closed = await closedPortUrl();
    const failure = await pullHuggingFaceFile(file('tiny.gguf', commitA), {
      cacheDir,
      huggingFaceUrl: closed,
    }).catch((error: Error) => error);
    expect((failure as Error).message).toBe(
      `could not pull hf:acme/tiny-GGUF/tiny.gguf@${commitA} from Hugging Face at ${closed}: GET ${closed}/acme/tiny-GGUF/resolve/${commitA}/tiny.gguf failed: fetch failed (connect ECONNREFUSED ${closed.slice('http://'.length)})`,
    );
    expect(contents(cacheDir)).toEqual([]);
  });

  it('says the disk is full when a write fails with ENOSPC, leaving no half-written file', async () => {
    const cacheDir = join(folder, 'full');
    const disk = fullDiskDestination(1024);
    const failure = await pullHuggingFaceFile(file('tiny.gguf', commitA), {
      cacheDir,
      huggingFaceUrl: hub.url,
      openDestination: disk.open,
    }).catch((error: Error) => error);
    expect((failure as Error).message).toBe(
      `could not pull hf:acme/tiny-GGUF/tiny.gguf@${commitA} from Hugging Face at ${hub.url}: disk full writing under ${cacheDir}`,
    );
    // It did write into the scratch folder beside the target before failing; none of it is left.
    expect(disk.opened).toEqual([
      expect.stringMatching(
        new RegExp(`^${cacheDir}/hf/acme/tiny-GGUF/${commitA}/\\.pull-\\w+/tiny\\.gguf$`),
      ),
    ]);
    expect(contents(cacheDir)).toEqual([]);
  });
});
