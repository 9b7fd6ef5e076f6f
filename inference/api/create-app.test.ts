import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessJobQueue } from '../../core/adapters/queue/in-process-job-queue.ts';
import type { TwinConfig } from '../../core/config/config-schema.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { embedQuery } from '../../core/features/embed-texts.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import { registerInferenceJobs } from '../batch/register-inference-jobs.ts';
import { type EmbeddedApiStores, openEmbeddedApiStores } from './__fixtures__/embedded-api-stores.ts';
import { createApp } from './create-app.ts';

const adminKey = 'admin-key-0123456789';
const apiKey = 'api-key-0123456789';

describe('HTTP API', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-api-'));
  let stores: EmbeddedApiStores;
  let metadata: MetadataStore;
  let queue: InProcessJobQueue;
  let embedder: Embedder;
  let featureSet: FeatureSet;

  const appWith = (server: Partial<TwinConfig['server']> = {}) =>
    createApp(stores.dependencies({ server })).app;
  const json = (body: unknown, headers: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

  beforeAll(async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: folder } });
    stores = await openEmbeddedApiStores(folder, config);
    ({ metadata, queue, embedder, featureSet } = stores);
    for (const version of [1, 2]) {
      await metadata.models.register({
        name: 'twin',
        backend: 'openai-compatible',
        baseModel: 'gpt-4o-mini',
        hyperparameters: {},
        datasetId: null,
        featureSetId: featureSet.id,
        parentVersion: null,
        metrics: { rougeL: version === 1 ? 0.3 : 0.2 },
        lossCurve: [],
        artifact: {
          kind: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:9/v1',
          model: `ft:twin-${version}`,
        },
        lossCurveKey: null,
        jobId: null,
        createdBy: 'test',
      });
    }
    await metadata.models.moveAlias({ name: 'twin', alias: 'production', toVersion: 1, movedBy: 'test' });
    await stores.storeChunks([
      ['rollback', 'If you cannot roll a model back with one alias move, you did not ship it: you gambled.'],
      ['skew', 'Training-serving skew happens when serving computes features differently from training.'],
      ['crawl', 'Polite crawlers read robots.txt, wait between requests and never hammer a small blog.'],
    ]);
    // A version whose features were built by another embedder: serving it must be refused.
    const foreign = await metadata.featureSets.register({
      ...featureSet,
      id: 'fs_00000000f0f0',
      spec: {
        ...featureSet.spec,
        embedder: { id: 'openai:text-embedding-3-small@api.openai.com', dimensions: 512 },
      },
    });
    await metadata.models.register({
      name: 'other',
      backend: 'openai-compatible',
      baseModel: null,
      hyperparameters: {},
      datasetId: null,
      featureSetId: foreign.id,
      parentVersion: null,
      metrics: {},
      lossCurve: [],
      artifact: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', model: 'x' },
      lossCurveKey: null,
      jobId: null,
      createdBy: 'test',
    });
  });
  afterAll(async () => {
    await stores.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers health, readiness, metrics and its OpenAPI document', async () => {
    const app = appWith();
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks).toMatchObject({
      metadata: { ok: true },
      vectors: { ok: true },
      queue: { ok: true, detail: expect.stringMatching(/^in-process: 0 running/) },
    });
    const document = await (await app.request('/openapi.json')).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/models',
        '/v1/embeddings',
        '/api/models',
        '/api/models/{name}/aliases',
        '/api/jobs/{id}',
        '/api/crawl',
        '/api/batch',
        '/api/batch/{id}/results',
        '/api/training/jobs',
        '/healthz',
        '/readyz',
      ]),
    );
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(/twin_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
    expect(metrics).toMatch(
      /twin_http_request_duration_seconds_bucket\{method="GET",route="\/openapi.json",le="0.005"\}/,
    );
  });

  it('lists the registry the OpenAI way and in full', async () => {
    const app = appWith();
    const models = await (await app.request('/v1/models')).json();
    expect(models.data.map((model: { id: string }) => model.id)).toEqual([
      'twin',
      'other:1',
      'twin:2',
      'twin:1',
    ]);
    const registry = await (await app.request('/api/models')).json();
    expect(registry.aliases).toEqual([expect.objectContaining({ alias: 'production', version: 1 })]);
  });

  it('serves embeddings to the official openai client, equal to the feature pipeline’s query vectors', async () => {
    const server = serve({ fetch: appWith().fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
      const response = await client.embeddings.create({
        model: 'twin',
        input: ['Training-serving skew is a pipeline bug.'],
      });
      expect(response.data[0]?.embedding).toHaveLength(512);
      const expected = await embedQuery('Training-serving skew is a pipeline bug.', embedder, featureSet);
      expect(Float32Array.from(response.data[0]?.embedding ?? [])).toEqual(expected);
      expect(response.model).toBe('twin:1');
      await expect(client.embeddings.create({ model: 'ghost', input: 'x' })).rejects.toMatchObject({
        status: 404,
        error: expect.objectContaining({ message: expect.stringMatching(/model ghost not found/) }),
      });
      await expect(client.embeddings.create({ model: 'twin', input: '\u200b ' })).rejects.toMatchObject({
        status: 400,
      });
    } finally {
      server.close();
    }
  });

  it('says what to do when nothing has been crawled yet, instead of searching nothing', async () => {
    // A fresh install: no model registered under this name, no feature set built.
    const { app } = createApp(
      stores.dependencies({ server: { modelName: 'fresh' }, currentFeatureSet: async () => null }),
    );
    const response = await app.request('/api/search', json({ query: 'rollback' }));
    expect(response.status).toBe(404);
    expect((await response.json()).error.message).toBe(
      'fresh has no features to search yet: crawl something first (`twin crawl URL --author NAME` or POST /api/crawl)',
    );
  });

  it('answers bad input with OpenAI-shaped errors and the right status', async () => {
    const app = appWith({ bodyLimitBytes: 2048 });
    const malformed = await app.request('/v1/embeddings', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input": [',
    });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toMatchObject({ type: 'invalid_request_error' });
    const missing = await app.request('/v1/embeddings', json({ input: 'x' }));
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toMatch(/model/);
    const huge = await app.request('/v1/embeddings', json({ model: 'twin', input: 'x'.repeat(5000) }));
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe('request_too_large');
    const nowhere = await app.request('/v2/nothing');
    expect(nowhere.status).toBe(404);
    const body = await nowhere.text();
    expect(body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('requires keys where configured, and always for admin routes', async () => {
    const open = appWith();
    const refused = await open.request('/api/models/twin/aliases', json({ action: 'rollback' }));
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.message).toMatch(/server.adminKeys/);
    const keyed = appWith({ apiKeys: [apiKey], adminKeys: [adminKey] });
    expect((await keyed.request('/v1/embeddings', json({ model: 'twin', input: 'x' }))).status).toBe(401);
    const wrong = await keyed.request(
      '/v1/embeddings',
      json({ model: 'twin', input: 'x' }, { authorization: 'Bearer nope-nope-nope' }),
    );
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe('invalid_api_key');
    expect(
      (
        await keyed.request(
          '/v1/embeddings',
          json({ model: 'twin', input: 'hello' }, { authorization: `Bearer ${apiKey}` }),
        )
      ).status,
    ).toBe(200);
    // An API key is not an admin key.
    expect(
      (await keyed.request('/api/jobs/x', { headers: { authorization: `Bearer ${apiKey}` } })).status,
    ).toBe(401);
  });

  it('promotes (gated) and rolls back through the admin API', async () => {
    const app = appWith({ adminKeys: [adminKey] });
    const auth = { authorization: `Bearer ${adminKey}` };
    const gated = await app.request(
      '/api/models/twin/aliases',
      json({ action: 'promote', version: 2, gate: true }, auth),
    );
    expect(gated.status).toBe(400);
    expect((await gated.json()).error.message).toMatch(
      /refused by the gate: rougeL 0.2000 does not beat 0.3000/,
    );
    const promoted = await app.request(
      '/api/models/twin/aliases',
      json({ action: 'promote', version: 2, movedBy: 'ops' }, auth),
    );
    expect((await promoted.json()).event).toMatchObject({ fromVersion: 1, toVersion: 2, movedBy: 'ops' });
    expect((await (await app.request('/v1/models')).json()).data[0]).toMatchObject({ id: 'twin' });
    const rolled = await app.request('/api/models/twin/aliases', json({ action: 'rollback' }, auth));
    expect((await rolled.json()).event).toMatchObject({ fromVersion: 2, toVersion: 1 });
    const invalid = await app.request('/api/models/twin/aliases', json({ action: 'promote' }, auth));
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error.message).toMatch(/version is required to promote/);
  });

  it('enqueues crawls and fine-tunes through the job queue and shows their records', async () => {
    const app = appWith({ adminKeys: [adminKey] });
    const auth = { authorization: `Bearer ${adminKey}` };
    const badCrawl = await app.request('/api/crawl', json({ targets: [], authorName: '' }, auth));
    expect(badCrawl.status).toBe(400);
    const submitted = await app.request(
      '/api/training/jobs',
      json({ datasetId: 'ds_0123456789ab', hyperparameters: { steps: 5 } }, auth),
    );
    expect(submitted.status).toBe(202);
    const job = await submitted.json();
    expect(job).toMatchObject({ name: 'training.finetune', queue: 'training', reused: false });
    expect(job.id).toMatch(/^ft_[0-9a-f]{16}$/);
    await queue.waitFor(job.id);
    const record = await (await app.request(`/api/jobs/${job.id}`, { headers: auth })).json();
    // No training worker runs in this test process, so the job fails with that reason.
    expect(record).toMatchObject({
      id: job.id,
      status: 'failed',
      error: 'no handler registered for training.finetune',
    });
    expect((await app.request('/api/jobs/unknown', { headers: auth })).status).toBe(404);
  });

  it('searches the serving feature set with stage timings, and refuses a feature set of another embedder', async () => {
    const app = appWith();
    const response = await app.request('/api/search', json({ query: 'how do I roll back a model?', k: 2 }));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ model: 'twin:1', featureSetId: featureSet.id });
    expect(body.results[0].payload.documentId).toBe('rollback');
    expect(body.results).toHaveLength(2);
    expect(body.timings.totalMs).toBeGreaterThanOrEqual(body.timings.embedMs);
    const filtered = await app.request(
      '/api/search',
      json({ query: 'crawler', filters: { platform: ['linkedin'] } }),
    );
    expect((await filtered.json()).results).toEqual([]);
    const skewed = await app.request('/api/search', json({ query: 'rollback', model: 'other:1' }));
    expect(skewed.status).toBe(400);
    expect((await skewed.json()).error.message).toMatch(
      /was built with embedder openai:text-embedding-3-small/,
    );
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(/twin_retrieval_stage_seconds_count\{stage="embed"\} [1-9]/);
  });

  it('chats through the official openai client, plain and streaming, with sources and the serving version', async () => {
    const dependencies = stores.dependencies();
    const { app } = createApp(dependencies);
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
      // twin:1's endpoint (127.0.0.1:9) is unreachable: the answer falls back to the sources' own sentences.
      const plain = await client.chat.completions.create({
        model: 'twin',
        messages: [{ role: 'user', content: 'How do I roll back a model?' }],
      });
      const answer = plain.choices[0]?.message.content ?? '';
      expect(answer).toMatch(/ft:twin-1@127.0.0.1:9 cannot be reached right now/);
      expect(answer).toContain('alias move');
      expect(answer).toMatch(/\[1\]/);
      const extra = plain as unknown as {
        sources: { documentId: string; index: number }[];
        twin: { model_version: string; feature_set: string; retrieved: number };
      };
      expect(extra.sources[0]).toMatchObject({ index: 1, documentId: 'rollback' });
      expect(extra.twin).toMatchObject({ model_version: 'twin:1', feature_set: featureSet.id });
      // Every passage retrieval found is counted, whether or not it fit in the prompt.
      expect(extra.twin.retrieved).toBeGreaterThanOrEqual(extra.sources.length);
      expect(plain.usage?.completion_tokens).toBeGreaterThan(0);

      const stream = await client.chat.completions.create({
        model: 'twin',
        messages: [{ role: 'user', content: 'What is training-serving skew?' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let streamed = '';
      let sources: unknown = null;
      let finish: string | null = null;
      let usage: unknown = null;
      for await (const chunk of stream) {
        sources ??= (chunk as unknown as { sources?: unknown }).sources ?? null;
        streamed += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      expect(streamed).toContain('Training-serving skew happens');
      expect((sources as { documentId: string }[])[0]?.documentId).toBe('skew');
      expect(finish).toBe('stop');
      expect(usage).toMatchObject({ completion_tokens: expect.any(Number) });

      // Promotion changes what answers, without a restart.
      await metadata.models.moveAlias({ name: 'twin', alias: 'production', toVersion: 2, movedBy: 'test' });
      const after = await client.chat.completions.create({
        model: 'twin',
        messages: [{ role: 'user', content: 'rollback?' }],
      });
      expect((after as unknown as { twin: { model_version: string } }).twin.model_version).toBe('twin:2');
      await metadata.models.moveAlias({ name: 'twin', alias: 'production', toVersion: 1, movedBy: 'test' });
      const pinned = await client.chat.completions.create({
        model: 'twin:2',
        messages: [{ role: 'user', content: 'rollback?' }],
      });
      expect(pinned.model).toBe('twin:2');

      await expect(
        client.chat.completions.create({ model: 'ghost', messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toMatchObject({ status: 404 });
      // Every request is recorded for monitoring: question, model, feature set, retrieved ids, timings, status.
      const logs = await metadata.requests.list({ route: '/v1/chat/completions' });
      expect(logs[0]).toMatchObject({
        status: 404,
        model: 'ghost',
        error: expect.stringMatching(/ghost not found/),
      });
      const answered = logs.find((entry) => entry.question === 'How do I roll back a model?');
      expect(answered).toMatchObject({ status: 200, model: 'twin:1', featureSetId: featureSet.id });
      expect(answered?.retrieved[0]).toMatchObject({ documentId: 'rollback' });
      expect(answered?.timings.totalMs).toBeGreaterThan(0);
      expect(answered?.completionTokens).toBeGreaterThan(0);
      await expect(
        client.chat.completions.create({ model: 'twin', messages: [{ role: 'system', content: 'x' }] }),
      ).rejects.toMatchObject({
        status: 400,
        error: expect.objectContaining({ message: 'messages must contain a user message' }),
      });
      await expect(client.chat.completions.create({ model: 'twin', messages: [] })).rejects.toMatchObject({
        status: 400,
      });
      await expect(
        client.chat.completions.create({
          model: 'twin',
          messages: [{ role: 'user', content: 'x' }],
          temperature: 7,
        }),
      ).rejects.toMatchObject({ status: 400 });
    } finally {
      server.close();
      await dependencies.close();
    }
  });

  it('runs batch inference as a job and serves its results JSONL', async () => {
    const dependencies = stores.dependencies();
    // The composition root registers the batch job; the app only enqueues it.
    registerInferenceJobs(dependencies);
    const { app } = createApp(dependencies);
    try {
      const submitted = await app.request(
        '/api/batch',
        json({
          prompts: [{ id: 'q1', prompt: 'How do I roll back a model?' }, { prompt: 'What about crawlers?' }],
          max_tokens: 40,
        }),
      );
      expect(submitted.status).toBe(202);
      const { jobId, results } = await submitted.json();
      const finished = await queue.waitFor(jobId);
      expect(finished).toMatchObject({
        status: 'completed',
        result: { total: 2, succeeded: 2, failed: 0, modelVersions: ['twin:1'] },
      });
      const lines = (await (await app.request(results)).text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({ id: 'q1', model_version: 'twin:1', feature_set: featureSet.id });
      expect(lines[0].sources[0].documentId).toBe('rollback');
      expect(lines[1].id).toBe('line-2');
      expect(lines[1].answer.length).toBeGreaterThan(0);
      expect(lines[1].sources.map((source: { documentId: string }) => source.documentId)).toContain('crawl');
      expect((await app.request('/api/batch/nope/results')).status).toBe(404);
      expect((await app.request('/api/batch', json({ prompts: [{ nothing: true }] }))).status).toBe(400);
    } finally {
      await dependencies.close();
    }
  });

  it('rate-limits per key with Retry-After', async () => {
    const app = appWith({ rateLimitPerMinute: 2 });
    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await app.request('/v1/models')).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await app.request('/v1/models');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await limited.json()).error.code).toBe('rate_limit_exceeded');
  });

  it('sends CORS headers only to configured origins', async () => {
    const app = appWith({ corsOrigins: ['http://localhost:3000'] });
    const allowed = await app.request('/healthz', { headers: { origin: 'http://localhost:3000' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const other = await app.request('/healthz', { headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
