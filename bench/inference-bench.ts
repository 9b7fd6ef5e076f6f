import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../inference/api/create-app.ts';
import { prepareAnswer } from '../inference/serving/prepare-answer.ts';
import { resolveServing } from '../inference/serving/resolve-serving.ts';
import { retrieveForServing } from '../inference/serving/retrieve-for-serving.ts';
import {
  alternatingLatencies,
  type LoadFigures,
  loadTest,
  postJson,
  summarise,
  timeToFirstToken,
} from './inference/http-drivers.ts';
import { createInferenceFixture } from './inference/inference-fixture.ts';
import { measure, round } from './measure.ts';

const points = 10_000;
const embeddedTexts = 300;
const trainingSteps = 30;
/** Completion tokens per chat answer: small and fixed, so every request does the same work. */
const maxTokens = 16;
/** Sequential requests per direct / HTTP latency series. */
const sequentialCount = 30;
/** autocannon: concurrent connections and seconds per route. */
const connections = 4;
const durationSeconds = 5;

/**
 * The inference pipeline over HTTP against the same work done in-process. Setup: a twin on the
 * embedded stores with 10k stored chunks and a tiny registered local model (see
 * createInferenceFixture). The real Hono app listens on 127.0.0.1:0 in this process, and:
 *
 * - `direct` is the baseline: the functions the routes call (resolveServing + retrieveForServing;
 *   prepareAnswer + the generator's stream), called one at a time with no HTTP;
 * - `http` sends the same requests one at a time through the server, alternating with the direct
 *   calls so drift falls on both; `overheadRatioP50` = http p50 / direct p50 is what routing,
 *   validation, JSON, request logging and the socket add;
 * - `load` is autocannon with `connections` clients for `durationSeconds`: requests/s and
 *   latency under contention (its p50 against direct p50 shows queueing on a 2-core machine);
 * - `streaming` is time to the first answer token, through SSE against the direct first token.
 *
 * autocannon runs in this same process, so its own work is inside the load figures; each figure
 * carries the peak RSS measured while it ran.
 */
export async function runInferenceBench(): Promise<Record<string, unknown>> {
  const setup = await measure(() => createInferenceFixture({ points, embeddedTexts, trainingSteps }));
  const fixture = setup.value;
  const { dependencies, questions } = fixture;
  const { app } = createApp(dependencies);
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const question = (index: number) => questions[index % questions.length] as string;
  const searchBody = (index: number) => ({ query: question(index), k: 5 });
  const chatBody = (index: number, stream = false) => ({
    model: 'twin',
    messages: [{ role: 'user' as const, content: question(index) }],
    max_tokens: maxTokens,
    temperature: 0,
    stream,
  });
  /** The chat route's work without HTTP; resolves when the first token is out, and when all are. */
  const answerDirectly = async (index: number) => {
    const started = performance.now();
    const prepared = await prepareAnswer(chatBody(index), dependencies);
    const stream = prepared.generator.stream({
      messages: prepared.messages,
      grounding: prepared.grounding,
      maxTokens,
      temperature: 0,
    });
    let step = await stream.next();
    const firstTokenMs = performance.now() - started;
    while (!step.done) step = await stream.next();
    return { firstTokenMs, generator: prepared.generatorId, completionTokens: step.value.completionTokens };
  };

  try {
    process.stderr.write(`inference: warming up on ${base}\n`);
    for (let index = 0; index < 3; index++) {
      await postJson(`${base}/api/search`, searchBody(index));
      await postJson(`${base}/v1/chat/completions`, chatBody(index));
    }
    const generator = (await answerDirectly(0)).generator;
    if (!generator.startsWith('local:'))
      throw new Error(`expected the registered local model to answer, got ${generator}`);

    process.stderr.write('inference: /api/search direct, sequential HTTP, autocannon\n');
    const search = await measure(() =>
      alternatingLatencies(
        sequentialCount,
        async (index) => {
          const serving = await resolveServing(dependencies, 'twin');
          await retrieveForServing(question(index), { k: 5 }, serving, dependencies);
        },
        (index) => postJson(`${base}/api/search`, searchBody(index)),
      ),
    );
    const searchLoad = await measure(() =>
      loadTest({
        url: base,
        path: '/api/search',
        bodies: questions.map((_, index) => searchBody(index)),
        connections,
        durationSeconds,
      }),
    );

    process.stderr.write('inference: /v1/chat/completions direct, sequential HTTP, autocannon\n');
    let completionTokens = 0;
    const chatSeries = await measure(() =>
      alternatingLatencies(
        sequentialCount,
        async (index) => {
          completionTokens += (await answerDirectly(index)).completionTokens;
        },
        (index) => postJson(`${base}/v1/chat/completions`, chatBody(index)),
      ),
    );
    const chatLoad = await measure(() =>
      loadTest({
        url: base,
        path: '/v1/chat/completions',
        bodies: questions.map((_, index) => chatBody(index)),
        connections,
        durationSeconds,
      }),
    );

    process.stderr.write('inference: time to first token, direct and streamed over SSE\n');
    const firstToken = await measure(async () => {
      const direct: number[] = [];
      const http: number[] = [];
      for (let index = 0; index < sequentialCount; index++) {
        direct.push((await answerDirectly(index)).firstTokenMs);
        http.push(await timeToFirstToken(`${base}/v1/chat/completions`, chatBody(index, true)));
      }
      return [direct, http] as [number[], number[]];
    });

    for (const [name, load] of [
      ['search', searchLoad.value],
      ['chat', chatLoad.value],
    ] as const) {
      if (load.non2xx > 0 || load.errors > 0)
        process.stderr.write(
          `inference: WARNING ${name} load had ${load.non2xx} non-2xx, ${load.errors} errors\n`,
        );
    }
    /** Direct and HTTP ran alternately, so they share one peak RSS. */
    const compare = (
      series: { value: [number[], number[]]; peakRssMb: number },
      load?: { value: LoadFigures; peakRssMb: number },
    ) => {
      const direct = summarise(series.value[0]);
      const http = summarise(series.value[1]);
      return {
        direct: { ...direct, peakRssMb: series.peakRssMb },
        http: { ...http, peakRssMb: series.peakRssMb },
        overheadRatioP50: round(http.p50Ms / direct.p50Ms, 3),
        overheadRatioP99: round(http.p99Ms / direct.p99Ms, 3),
        ...(load
          ? {
              load: { connections, durationSeconds, ...load.value, peakRssMb: load.peakRssMb },
              loadP50RatioToDirect: round(load.value.p50Ms / direct.p50Ms, 3),
            }
          : {}),
      };
    };
    return {
      setup: {
        ...fixture.setup,
        embedSeconds: round(fixture.setup.embedSeconds, 1),
        trainSeconds: round(fixture.setup.trainSeconds, 1),
        seconds: round(setup.durationMs / 1000, 1),
        peakRssMb: setup.peakRssMb,
        generator,
        maxTokens,
        meanCompletionTokens: round(completionTokens / sequentialCount, 1),
        retrieval: dependencies.config.retrieval,
      },
      search: compare(search, searchLoad),
      chat: compare(chatSeries, chatLoad),
      streamingFirstToken: compare(firstToken),
    };
  } finally {
    (server as Partial<Server>).closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fixture.close();
  }
}
