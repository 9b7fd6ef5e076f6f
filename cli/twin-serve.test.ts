import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SampleSites, startSampleSites } from '../datasets/sample-author/serve-sample-sites.ts';
import { runTwin } from './test-support/run-twin.ts';

const bin = resolve(import.meta.dirname, '../bin/twin.js');

type Served = {
  child: ChildProcess;
  /** Everything written so far. */
  output: () => { stdout: string; stderr: string };
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
};

/** Starts `twin serve` as a user would, in its own process. */
function startServe(args: string[]): Served {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** The URL `twin serve` prints once it listens; rejects if the process ends first. */
async function listeningUrl(served: Served): Promise<string> {
  const ended = served.exited.then((code) => {
    const { stdout, stderr } = served.output();
    throw new Error(`twin serve exited (${code}) before listening:\n${stdout}\n${stderr}`);
  });
  const printed = new Promise<string>((resolve) => {
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(served.output().stdout);
      if (match?.[1]) {
        served.child.stdout?.off('data', check);
        resolve(match[1]);
      }
    };
    served.child.stdout?.on('data', check);
    check();
  });
  return Promise.race([printed, ended]);
}

describe('twin serve in a child process', () => {
  let sites: SampleSites;
  const folder = mkdtempSync(join(tmpdir(), 'twin-serve-'));
  const configFile = join(folder, 'test.yaml');
  let global: string[];
  let served: Served | undefined;

  beforeAll(async () => {
    sites = await startSampleSites();
    writeFileSync(
      configFile,
      `logLevel: info\ncrawler:\n  allowLoopback: true\n  perHostDelayMs: 0\n  devtoApiBase: ${sites.urls.devtoApiBase}\nembedder:\n  provider: use-lite\n  workers: 1\n  batchSize: 32\nserver:\n  host: 127.0.0.1\n  rateLimitPerMinute: 0\n`,
    );
    global = ['--config', configFile, '--data-dir', join(folder, 'data')];
    // The sample author's blog, crawled and embedded into features by the real feature pipeline.
    const crawled = await runTwin(['crawl', sites.urls.blogFeed, '--author', 'Noor Halvorsen', ...global]);
    expect(crawled.code, crawled.stderr).toBe(0);
    expect(crawled.stdout).toMatch(/Features fs_[0-9a-f]{12}: \d+ documents processed into \d+ chunks/);
  }, 300_000);
  afterAll(async () => {
    // Only if a test failed before its own SIGTERM: never leave the server running.
    if (served && served.child.exitCode === null && served.child.signalCode === null) {
      served.child.kill('SIGKILL');
      await served.exited;
    }
    await sites.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers the official openai client plainly and streaming, reports health and metrics, and stops cleanly on SIGTERM', {
    timeout: 180_000,
  }, async () => {
    served = startServe(['--port', '0', ...global]);
    const url = await listeningUrl(served);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks).toMatchObject({ metadata: { ok: true }, vectors: { ok: true } });

    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const question = 'What is training-serving skew and how do you prevent it?';
    const plain = await client.chat.completions.create({
      model: 'twin',
      messages: [{ role: 'user', content: question }],
      max_tokens: 200,
    });
    const answer = plain.choices[0]?.message.content ?? '';
    // No model is registered: the extractive answer quotes the sources with their citations.
    expect(answer).toMatch(/no generator is configured/);
    expect(answer).toMatch(/\[1\]/);
    expect(answer.toLowerCase()).toMatch(/skew/);
    const extra = plain as unknown as {
      sources: { index: number; url: string; documentId: string }[];
      twin: { model_version: string; generator: string };
    };
    expect(extra.sources.length).toBeGreaterThan(0);
    expect(extra.sources[0]).toMatchObject({
      index: 1,
      url: expect.stringContaining(new URL(sites.urls.blogFeed).origin),
    });
    expect(extra.twin.generator).toBe('extractive');
    expect(plain.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      model: 'twin',
      messages: [{ role: 'user', content: question }],
      max_tokens: 200,
      stream: true,
    });
    let streamed = '';
    let chunks = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      chunks += 1;
      streamed += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(chunks).toBeGreaterThan(2);
    // The extractive answer is deterministic: streamed and plain say the same.
    expect(streamed).toBe(answer);
    expect(finish).toMatch(/stop|length/);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /twin_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} 2/,
    );
    expect(metrics).toMatch(/twin_retrieval_stage_seconds_count\{stage="embed"\} 2/);

    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.output().stderr).toMatch(/stopping: finishing in-flight requests/);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('stops cleanly on SIGINT (Ctrl-C) too', { timeout: 60_000 }, async () => {
    served = startServe(['--port', '0', ...global]);
    const url = await listeningUrl(served);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    served.child.kill('SIGINT');
    expect(await served.exited).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('fails at start-up, naming the folder, when the configured reranker cannot load', {
    timeout: 60_000,
  }, async () => {
    const broken = join(folder, 'broken-reranker.yaml');
    writeFileSync(
      broken,
      `logLevel: warn\nembedder:\n  provider: use-lite\n  workers: 1\nretrieval:\n  reranker: { modelPath: ${join(folder, 'no-such-cross-encoder')}, quantized: false }\n`,
    );
    const started = await runTwin([
      'serve',
      '--port',
      '0',
      '--config',
      broken,
      '--data-dir',
      join(folder, 'data'),
    ]);
    expect(started.code).toBe(2);
    expect(started.stderr).toMatch(/reranker\.modelPath: .*no-such-cross-encoder is not a folder/);
    expect(started.stdout).not.toMatch(/listening/);
  });
});
