import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../../inference/api/create-app.ts';
import type { InferenceDependencies } from '../../inference/index.ts';
import { prepareAnswer } from '../../inference/serving/prepare-answer.ts';
import { type Measurement, measure, percentile, round } from '../measure.ts';
import { type ChatTiming, summariseChatTimings } from './chat-timing.ts';
import type { DirectLlamaChat } from './direct-llama-chat.ts';
import { type StreamedChatCompletion, streamChatCompletion } from './stream-chat-completion.ts';

export type ComparisonOptions = {
  label: string;
  question: string;
  maxTokens: number;
  /** Timed API / direct pairs. */
  pairs: number;
  /** One untimed pair first (the first series of a run: JIT, the embedder, llama.cpp buffers). */
  warmUp: boolean;
};

/**
 * One question answered `pairs` times through the twin's API (a listening server, SSE, usage
 * requested) and by node-llama-cpp directly, alternately, the side that goes first swapping every
 * pair so drift and order fall on both. Before each direct run the route's own `prepareAnswer`
 * builds the prompt (untimed), so the direct side evaluates exactly the messages the API sent;
 * matching prompt token counts, sources and answers prove it, and are reported.
 */
export async function compareApiWithDirect(
  dependencies: InferenceDependencies,
  direct: DirectLlamaChat,
  options: ComparisonOptions,
): Promise<Record<string, unknown>> {
  const { app } = createApp(dependencies);
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  const body = {
    model: 'twin',
    messages: [{ role: 'user' as const, content: options.question }],
    max_tokens: options.maxTokens,
    temperature: 0,
  };
  const viaApi = () => measure(() => streamChatCompletion(url, body));
  const directly = async () => {
    const preparing = performance.now();
    const prepared = await prepareAnswer(body, dependencies);
    const prepareMs = performance.now() - preparing;
    const run = await measure(() => direct.answer(prepared.messages, options.maxTokens));
    return { ...run, prepareMs, sourceIds: prepared.sources.map((source) => source.chunkId) };
  };

  try {
    if (options.warmUp) {
      process.stderr.write(`generation: ${options.label}: warm-up pair\n`);
      await viaApi();
      await directly();
    }
    const api: (Measurement & { value: StreamedChatCompletion })[] = [];
    const baseline: Awaited<ReturnType<typeof directly>>[] = [];
    for (let pair = 0; pair < options.pairs; pair++) {
      process.stderr.write(`generation: ${options.label}: pair ${pair + 1}/${options.pairs}\n`);
      if (pair % 2 === 0) {
        api.push(await viaApi());
        baseline.push(await directly());
      } else {
        baseline.push(await directly());
        api.push(await viaApi());
      }
    }

    const apiTimings = api.map((run) => run.value);
    const directTimings: ChatTiming[] = baseline.map((run) => run.value);
    const apiSummary = summariseChatTimings(apiTimings);
    const directSummary = summariseChatTimings(directTimings);
    const median = (values: number[]) => round(percentile(values, 0.5));
    const apiCpuMs = median(api.map((run) => run.cpuMs));
    const directCpuMs = median(baseline.map((run) => run.cpuMs));
    const mismatched = (same: (index: number) => boolean) =>
      apiTimings.filter((_, index) => !same(index)).length;
    const checks = {
      promptTokensDiffer: mismatched(
        (index) => apiTimings[index]?.promptTokens === directTimings[index]?.promptTokens,
      ),
      sourcesDiffer: mismatched(
        (index) =>
          JSON.stringify(apiTimings[index]?.sources.map((source) => source.chunkId)) ===
          JSON.stringify(baseline[index]?.sourceIds),
      ),
      answersDiffer: mismatched((index) => apiTimings[index]?.text === directTimings[index]?.text),
    };
    if (checks.promptTokensDiffer + checks.sourcesDiffer + checks.answersDiffer > 0)
      process.stderr.write(
        `generation: WARNING ${options.label}: API and direct runs differ in ${JSON.stringify(checks)} of ${options.pairs} pairs\n`,
      );
    const perGeneratedToken = (summary: typeof apiSummary) => 1 / summary.generatedTokensPerSecond;
    return {
      question: options.question,
      maxTokens: options.maxTokens,
      pairs: options.pairs,
      promptTokens: apiSummary.promptTokens,
      sources: apiTimings[0]?.sources.length ?? 0,
      api: { ...apiSummary, cpuMs: apiCpuMs, peakRssMb: Math.max(...api.map((run) => run.peakRssMb)) },
      direct: {
        ...directSummary,
        cpuMs: directCpuMs,
        peakRssMb: Math.max(...baseline.map((run) => run.peakRssMb)),
      },
      /** API time over direct time, from the medians: 1 = no overhead. */
      overhead: {
        totalTimeRatio: round(apiSummary.totalMs / directSummary.totalMs, 3),
        // Each pair ran back to back, so its own ratio is the least touched by drift.
        pairedTotalTimeRatio: round(
          percentile(
            apiTimings.map((run, index) => run.totalMs / (directTimings[index] as ChatTiming).totalMs),
            0.5,
          ),
          3,
        ),
        firstTokenRatio: round(apiSummary.firstTokenMs / directSummary.firstTokenMs, 3),
        perGeneratedTokenRatio: round(perGeneratedToken(apiSummary) / perGeneratedToken(directSummary), 3),
        firstTokenExtraMs: round(apiSummary.firstTokenMs - directSummary.firstTokenMs),
        // CPU time of the whole process (server and client included on the API side): the work
        // each side did, which other processes on the machine do not stretch as they do wall time.
        cpuTimeRatio: round(apiCpuMs / directCpuMs, 3),
      },
      /** Where the API's extra time before the first token goes: the route's work before generation. */
      beforeGeneration: {
        prepareAnswerMs: median(baseline.map((run) => run.prepareMs)),
        retrievalMs: median(apiTimings.map((run) => run.retrievalTimings.totalMs ?? Number.NaN)),
        retrievalStagesMs: Object.fromEntries(
          Object.keys(apiTimings[0]?.retrievalTimings ?? {}).map((stage) => [
            stage,
            median(apiTimings.map((run) => run.retrievalTimings[stage] ?? Number.NaN)),
          ]),
        ),
      },
      checks,
    };
  } finally {
    (server as Partial<Server>).closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
