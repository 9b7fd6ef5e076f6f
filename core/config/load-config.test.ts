import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { loadConfig } from './load-config.ts';
import { maskSecrets } from './mask-secrets.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-config-'));
function file(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('loads the embedded defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      dataDir: './.twin',
      embedder: { provider: 'use-lite' },
      stores: {
        metadata: { driver: 'sqlite' },
        vectors: { driver: 'sqlite-vec' },
        queue: { driver: 'in-process' },
      },
    });
    expect(config.crawler.allowLoopback).toBe(false);
  });

  it('puts pulled models in models.cacheDir, else TWIN_MODELS_DIR, else the user cache folder', () => {
    expect(loadConfig({ env: { XDG_CACHE_HOME: '/var/cache/someone' } }).models).toEqual({
      cacheDir: '/var/cache/someone/llm-twin/models',
      pip: ['python3', '-m', 'pip'],
      huggingFaceUrl: 'https://huggingface.co',
      threads: null,
      contextSize: 4096,
      copyBias: { token: 1, continuation: 4 },
    });
    expect(loadConfig({ env: { TWIN_MODELS_DIR: '/srv/models' } }).models.cacheDir).toBe('/srv/models');
    expect(
      loadConfig({ env: { TWIN_MODELS_DIR: '/srv/models', TWIN_MODELS__CACHE_DIR: '/opt/m' } }).models
        .cacheDir,
    ).toBe('/opt/m');
  });

  it('TWIN_ENV=production selects the scale-out engines, each overridable by a variable', () => {
    const config = loadConfig({
      env: { TWIN_ENV: 'production', TWIN_STORES__QUEUE__URL: 'redis://cache.internal:6379/1' },
    });
    expect(config.stores).toMatchObject({
      metadata: { driver: 'postgres', schema: 'twin' },
      vectors: { driver: 'qdrant', url: 'http://qdrant:6333' },
      queue: { driver: 'bullmq', url: 'redis://cache.internal:6379/1', prefix: 'twin' },
    });
    expect(config.server.host).toBe('0.0.0.0');
    // The embedded defaults still fill everything production does not mention.
    expect(config.embedder.provider).toBe('use-lite');
    expect(JSON.stringify(maskSecrets(config))).not.toContain('twin:twin@');
  });

  it('merges a file, then TWIN_* variables with typed values, then overrides', () => {
    const path = file('local.yaml', 'crawler:\n  perHostDelayMs: 0\nlogLevel: debug\n');
    const config = loadConfig({
      file: path,
      env: { TWIN_CRAWLER__ALLOW_LOOPBACK: 'true', TWIN_CRAWLER__TIMEOUT_MS: '1234', TWIN_LOG_LEVEL: 'warn' },
      overrides: { dataDir: '/tmp/x' },
    });
    expect(config.crawler).toMatchObject({
      perHostDelayMs: 0,
      allowLoopback: true,
      timeoutMs: 1234,
      retries: 3,
    });
    expect(config.logLevel).toBe('warn');
    expect(config.dataDir).toBe('/tmp/x');
  });

  it('switching a provider replaces the whole block and fills the key from OPENAI_API_KEY', () => {
    const path = file(
      'openai.yaml',
      'embedder:\n  provider: openai\n  baseUrl: http://127.0.0.1:9/v1\n  model: text-embedding-3-small\n  apiKey: null\n  dimensions: null\n  batchSize: 64\n  timeoutMs: 1000\n  retries: 1\n',
    );
    const config = loadConfig({ file: path, env: { OPENAI_API_KEY: 'sk-secret-value-1234' } });
    expect(config.embedder).toMatchObject({ provider: 'openai', apiKey: 'sk-secret-value-1234' });
    expect(JSON.stringify(maskSecrets(config))).not.toContain('sk-secret-value');
    expect(JSON.stringify(maskSecrets(config))).toContain('****1234');
  });

  it('fails fast listing every problem', () => {
    const path = file(
      'broken.yaml',
      'crawler:\n  concurrency: 0\n  timeoutMs: fast\nembedder:\n  workers: -1\nbogus: 1\n',
    );
    let caught: unknown;
    try {
      loadConfig({ file: path, env: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/crawler\.concurrency/);
    expect(problems).toMatch(/crawler\.timeoutMs/);
    expect(problems).toMatch(/embedder\.workers/);
    expect(problems).toMatch(/unknown key\(s\) bogus/);
  });

  describe('engines switch with the driver and the URL alone', () => {
    const queueDefaults = {
      prefix: 'twin',
      concurrency: 2,
      attempts: 3,
      backoffMs: 5000,
      stalledIntervalMs: 30000,
      lockDurationMs: 60000,
      maxStalledCount: 1,
    };
    const postgresDefaults = { schema: 'twin', poolSize: 10 };
    const qdrantDefaults = {
      apiKey: null,
      collectionPrefix: 'twin_',
      timeoutMs: 30000,
      upsertBatchSize: 256,
      maxRequestMb: 32,
    };

    it('queue: bullmq through YAML', () => {
      const path = file('bullmq.yaml', 'stores:\n  queue: { driver: bullmq, url: "redis://cache:6379/2" }\n');
      expect(loadConfig({ file: path, env: {} }).stores.queue).toEqual({
        driver: 'bullmq',
        url: 'redis://cache:6379/2',
        ...queueDefaults,
      });
    });

    it('queue: TWIN_STORES__QUEUE__DRIVER=bullmq alone takes a Redis on this machine', () => {
      expect(loadConfig({ env: { TWIN_STORES__QUEUE__DRIVER: 'bullmq' } }).stores.queue).toEqual({
        driver: 'bullmq',
        url: 'redis://127.0.0.1:6379/0',
        ...queueDefaults,
      });
    });

    it('metadata: postgres with only a url, through YAML and through variables', () => {
      const path = file(
        'postgres.yaml',
        'stores:\n  metadata: { driver: postgres, url: "postgres://db/twin" }\n',
      );
      const expected = { driver: 'postgres', url: 'postgres://db/twin', ...postgresDefaults };
      expect(loadConfig({ file: path, env: {} }).stores.metadata).toEqual(expected);
      const fromEnv = loadConfig({
        env: { TWIN_STORES__METADATA__DRIVER: 'postgres', TWIN_STORES__METADATA__URL: 'postgres://db/twin' },
      });
      expect(fromEnv.stores.metadata).toEqual(expected);
    });

    it('metadata: postgres without a url names the one missing field', () => {
      expect(() => loadConfig({ env: { TWIN_STORES__METADATA__DRIVER: 'postgres' } })).toThrow(
        /^Invalid configuration:\n {2}- stores\.metadata\.url: [^\n]*$/,
      );
    });

    it('vectors: qdrant with only a url, through YAML and through variables; the API key is optional', () => {
      const path = file(
        'qdrant.yaml',
        'stores:\n  vectors: { driver: qdrant, url: "http://vectors:6333" }\n',
      );
      const expected = { driver: 'qdrant', url: 'http://vectors:6333', ...qdrantDefaults };
      expect(loadConfig({ file: path, env: {} }).stores.vectors).toEqual(expected);
      const fromEnv = loadConfig({
        env: { TWIN_STORES__VECTORS__DRIVER: 'qdrant', TWIN_STORES__VECTORS__URL: 'http://vectors:6333' },
      });
      expect(fromEnv.stores.vectors).toEqual(expected);
    });

    it('back to the embedded engines with the driver alone', () => {
      const config = loadConfig({
        env: {
          TWIN_ENV: 'production',
          TWIN_STORES__METADATA__DRIVER: 'sqlite',
          TWIN_STORES__QUEUE__DRIVER: 'in-process',
        },
      });
      expect(config.stores.metadata).toEqual({ driver: 'sqlite', path: 'twin.db' });
      expect(config.stores.queue).toEqual({ driver: 'in-process', concurrency: 2 });
    });

    it('a tuning field can still be set on its own', () => {
      const config = loadConfig({
        env: { TWIN_STORES__QUEUE__DRIVER: 'bullmq', TWIN_STORES__QUEUE__LOCK_DURATION_MS: '120000' },
      });
      expect(config.stores.queue).toEqual({
        driver: 'bullmq',
        url: 'redis://127.0.0.1:6379/0',
        ...queueDefaults,
        lockDurationMs: 120000,
      });
    });

    it('a misspelt key, a wrong type and an unknown driver are each refused by name', () => {
      const path = file(
        'typos.yaml',
        'stores:\n  queue: { driver: bullmq, concurency: 4, attempts: many }\n  vectors: { driver: qdrant, upsertBatchSize: 0 }\n  metadata: { driver: mysql }\n',
      );
      let caught: unknown;
      try {
        loadConfig({ file: path, env: {} });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      const problems = (caught as ConfigError).problems;
      expect(problems).toHaveLength(4);
      expect(problems).toContain('stores.queue: unknown key(s) concurency');
      expect(problems.find((problem) => problem.startsWith('stores.queue.attempts: '))).toMatch(
        /expected number, received string/,
      );
      expect(problems.find((problem) => problem.startsWith('stores.vectors.upsertBatchSize: '))).toMatch(
        />=1/,
      );
      expect(problems.find((problem) => problem.startsWith('stores.metadata.driver: '))).toMatch(
        /sqlite.*postgres/,
      );
    });
  });

  it('reports unreadable files, invalid YAML and unknown environments together', () => {
    const invalid = file('invalid.yaml', 'crawler: [unclosed\n');
    expect(() => loadConfig({ file: invalid, env: { TWIN_ENV: 'nowhere' } })).toThrow(
      /nowhere\.yaml does not exist[\s\S]*invalid YAML/,
    );
    expect(() => loadConfig({ file: join(folder, 'missing.yaml'), env: {} })).toThrow(/cannot read/);
  });

  it('masks every key in a list of keys', () => {
    expect(maskSecrets({ server: { apiKeys: ['key-one-12345678', 'key-two-87654321'] } })).toEqual({
      server: { apiKeys: ['****5678', '****4321'] },
    });
  });

  it('masks passwords inside URLs', () => {
    expect(maskSecrets({ url: 'postgres://twin:hunter2@db:5432/twin' })).toEqual({
      url: 'postgres://twin:****@db:5432/twin',
    });
  });
});
