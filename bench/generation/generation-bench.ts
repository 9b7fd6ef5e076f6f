import questionsFile from '../../datasets/sample-author/questions.json' with { type: 'json' };
import { resolveServing } from '../../inference/serving/resolve-serving.ts';
import { measure, round } from '../measure.ts';
import { compareApiWithDirect } from './compare-api-with-direct.ts';
import { openDirectLlamaChat } from './direct-llama-chat.ts';
import { createGenerationFixture, type LlamaSettings } from './generation-fixture.ts';

/**
 * Both sides run llama.cpp alike. One thread: llama.cpp's threads wait for each other at every
 * step, so on a shared 2-core machine a second thread stalls whenever anything else runs (the
 * server's own event loop included) and the figures would measure the scheduler.
 */
const llama: LlamaSettings = { threads: 1, contextSize: 4096 };
const questions = questionsFile.questions.map((entry) => entry.question);

/** A short grounded chat: one passage (~600 prompt tokens), a 64-token answer. */
const throughput = {
  label: 'throughput',
  k: 1,
  question: questions[1] as string,
  maxTokens: 64,
  pairs: 5,
  warmUp: true,
};
/** A long RAG prompt: four passages make ~1,500 prompt tokens; only the first token matters. */
const rag = {
  label: 'rag first token',
  k: 4,
  question: questions[7] as string,
  maxTokens: 8,
  // Three pairs: at ~100 prompt tokens/s on a shared core, each run takes ~15 s.
  pairs: 3,
  warmUp: false,
};

/**
 * SmolLM2-135M-Instruct (GGUF) answering through the twin's OpenAI-compatible API, streamed over
 * SSE from a real server, against node-llama-cpp called directly on exactly the prompt the API
 * built, in the same process and run. `throughput`: prompt and generated tokens/s; `ragFirstToken`:
 * time to the first token of a ~1,500-token retrieval-augmented prompt. Overheads are API time over
 * direct time (goal: total time ≤ 1.05). Both models stay loaded throughout, so every peak RSS
 * is the whole process's, with both.
 */
export async function runGenerationBench(): Promise<Record<string, unknown>> {
  const started = performance.now();
  const setup = await measure(() => createGenerationFixture(llama));
  const fixture = setup.value;
  try {
    process.stderr.write('generation: loading the model for the API and for the direct baseline\n');
    const apiLoad = await measure(async () => {
      // The shared generator cache keeps what the route's first request would load.
      const dependencies = fixture.dependencies(throughput.k);
      const serving = await resolveServing(dependencies, 'twin');
      return (await dependencies.generators.get(serving.version)).id;
    });
    const directLoad = await measure(() => openDirectLlamaChat(fixture.model.path, llama));
    const direct = directLoad.value;
    try {
      const throughputFigures = await compareApiWithDirect(
        fixture.dependencies(throughput.k),
        direct,
        throughput,
      );
      const ragFigures = await compareApiWithDirect(fixture.dependencies(rag.k), direct, rag);
      return {
        setup: {
          model: fixture.model.version,
          file: fixture.model.path,
          pulledFrom: fixture.model.source,
          generator: apiLoad.value,
          threads: llama.threads,
          contextSize: direct.contextSize,
          features: fixture.features,
          seconds: round(setup.durationMs / 1000, 1),
          peakRssMb: setup.peakRssMb,
          apiModelLoad: { seconds: round(apiLoad.durationMs / 1000, 1), peakRssMb: apiLoad.peakRssMb },
          directModelLoad: {
            seconds: round(directLoad.durationMs / 1000, 1),
            peakRssMb: directLoad.peakRssMb,
          },
        },
        throughput: { retrievalK: throughput.k, ...throughputFigures },
        ragFirstToken: { retrievalK: rag.k, ...ragFigures },
        suiteSeconds: round((performance.now() - started) / 1000, 1),
      };
    } finally {
      await direct.close();
    }
  } finally {
    await fixture.close();
  }
}
