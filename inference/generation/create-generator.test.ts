import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/artifacts/local-artifact-store.ts';
import { modelEndpoints } from '../../core/config/model-endpoints.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { BpeTokenizer } from '../../core/local-model/bpe-tokenizer.ts';
import { saveCheckpoint } from '../../core/local-model/checkpoint.ts';
import { localModelPresets } from '../../core/local-model/model-config.ts';
import { initTfjs } from '../../core/local-model/tfjs-runtime.ts';
import { TransformerModel } from '../../core/local-model/transformer-model.ts';
import { silentLogger } from '../../core/logger.ts';
import {
  type ChatReplayServer,
  startChatReplayServer,
} from '../../core/models/__fixtures__/chat-replay-server.ts';
import { registeredVersion } from '../../core/models/__fixtures__/registered-version.ts';
import { writeTinyGguf } from '../../core/models/__fixtures__/write-tiny-gguf.ts';
import type { GenerationSummary } from '../../core/ports/generator.ts';
import type { ModelArtifact } from '../../core/types/model-version.ts';
import { noorPassages, rollbackQuestion } from './__fixtures__/noor-passages.ts';
import { createGenerator, type GeneratorDependencies } from './create-generator.ts';
import { ExtractiveGenerator, noGeneratorNotice } from './extractive-generator.ts';
import { loadPromptTemplate } from './prompt-template.ts';

// node-llama-cpp is an optional dependency.
const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

const version = (artifact: ModelArtifact, number = 3) => registeredVersion(artifact, { version: number });

async function collect(stream: AsyncGenerator<string, GenerationSummary>) {
  const pieces: string[] = [];
  for (;;) {
    const step = await stream.next();
    if (step.done) return { text: pieces.join(''), summary: step.value };
    pieces.push(step.value);
  }
}

const prompt = loadPromptTemplate().buildMessages({
  authorName: 'Noor Halvorsen',
  question: rollbackQuestion,
  sources: noorPassages,
});
const request = { messages: prompt.messages, grounding: prompt.grounding, maxTokens: 40, temperature: 0 };

describe('createGenerator', () => {
  let folder: string;
  let openai: ChatReplayServer;
  let other: ChatReplayServer;
  let dependencies: GeneratorDependencies;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-create-generator-'));
    [openai, other] = await Promise.all([startChatReplayServer(), startChatReplayServer()]);
    dependencies = {
      artifacts: new LocalArtifactStore(folder),
      // The replay server stands in for api.openai.com, so it is the origin the key belongs to.
      endpoints: modelEndpoints({ baseUrl: openai.baseUrl, apiKey: 'sk-from-config', timeoutMs: 60_000 }),
      logger: silentLogger,
    };
  });
  afterAll(async () => {
    await Promise.all([openai.close(), other.close()]);
    await rm(folder, { recursive: true, force: true });
  });
  beforeEach(() => {
    openai.reset();
    other.reset();
  });

  it('answers extractively when no version is registered', async () => {
    const generator = await createGenerator(null, dependencies);
    expect(generator).toBeInstanceOf(ExtractiveGenerator);
    const { text } = await collect(generator.stream({ ...request, maxTokens: 400 }));
    expect(text.startsWith(noGeneratorNotice)).toBe(true);
    expect(text).toContain('It took forty minutes');
  });

  it('loads a local checkpoint, verified against the registered sha256', async () => {
    await initTfjs();
    const tokenizer = BpeTokenizer.train(['Keep it boring.', 'The model is the easy part.'], {
      vocabSize: 280,
    });
    const model = TransformerModel.create({ ...localModelPresets.ci, vocabSize: tokenizer.vocabSize });
    const saved = await saveCheckpoint(dependencies.artifacts, 'models/twin/3', { model, tokenizer });
    model.dispose();
    const generator = await createGenerator(
      version({ kind: 'local', key: saved.key, sha256: saved.sha256 }),
      dependencies,
    );
    try {
      expect(generator.id).toBe('local:twin:3');
      expect(generator.promptBudget.maxPromptTokens).toBe(localModelPresets.ci.contextLength / 2 - 3);
      const { summary } = await collect(generator.stream({ ...request, maxTokens: 4 }));
      expect(summary.completionTokens).toBeGreaterThan(0);
      expect(summary.completionTokens).toBeLessThanOrEqual(4);
    } finally {
      await generator.close();
    }
    await expect(
      createGenerator(version({ kind: 'local', key: saved.key, sha256: 'f'.repeat(64) }), dependencies),
    ).rejects.toThrow(ValidationError);
  });

  it('sends the OpenAI key only to OpenAI’s origin', async () => {
    openai.script({ sse: 'openai-chat-stream.sse' });
    other.script({ sse: 'openai-chat-stream.sse' });
    const fineTuned = await createGenerator(
      version({ kind: 'openai-compatible', baseUrl: openai.baseUrl, model: 'ft:gpt-4o-mini:twin' }),
      dependencies,
    );
    const ollama = await createGenerator(
      version({ kind: 'openai-compatible', baseUrl: other.baseUrl, model: 'llama3.2' }, 4),
      dependencies,
    );
    expect((await collect(fineTuned.stream(request))).text).toContain('[1]');
    await collect(ollama.stream(request));
    expect(openai.requests[0]?.headers.authorization).toBe('Bearer sk-from-config');
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(ollama.id).toBe(`openai-compatible:llama3.2@${new URL(other.baseUrl).host}`);
  });

  it('falls back to the extractive answer when asked to and the endpoint is down', async () => {
    const down = await startChatReplayServer();
    await down.close();
    const generator = await createGenerator(
      version({ kind: 'openai-compatible', baseUrl: down.baseUrl, model: 'llama3.2' }),
      { ...dependencies, endpoints: { ...dependencies.endpoints, retries: 0 } },
      { fallbackToExtractive: true },
    );
    const { text } = await collect(generator.stream({ ...request, maxTokens: 400 }));
    expect(text).toMatch(
      /^Note: the model openai-compatible:llama3\.2@127\.0\.0\.1:\d+ cannot be reached right now/,
    );
    expect(text).toContain('It took forty minutes');
  });

  it.runIf(installed)('runs a registered GGUF file, checked against its sha256', async () => {
    const path = join(folder, 'tiny.gguf');
    await writeTinyGguf(path);
    const sha256 = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    const generator = await createGenerator(version({ kind: 'gguf', path, sha256 }, 5), dependencies);
    try {
      expect(generator.id).toBe('gguf:twin:5');
      const built = loadPromptTemplate().buildMessages(
        { authorName: 'Noor Halvorsen', question: rollbackQuestion, sources: noorPassages },
        generator.promptBudget,
      );
      // Byte-level tokens: the passages do not all fit the 1536-token budget.
      expect(built.sources.length).toBeLessThan(noorPassages.length);
      expect(built.promptTokens).toBeLessThanOrEqual(generator.promptBudget.maxPromptTokens);
      const { text, summary } = await collect(
        generator.stream({
          messages: built.messages,
          grounding: built.grounding,
          maxTokens: 3,
          temperature: 0,
        }),
      );
      expect(text).toBe('boring boring boring');
      expect(summary).toMatchObject({ finishReason: 'length', completionTokens: 3 });
    } finally {
      await generator.close();
    }
  });

  it('names the missing GGUF file', async () => {
    const path = join(folder, 'twin.gguf');
    await expect(
      createGenerator(version({ kind: 'gguf', path, sha256: null }), dependencies),
    ).rejects.toThrow(
      new NotFoundError(
        `GGUF model file ${path} does not exist: put the file back, or register the model again with \`twin models register --gguf <file>\``,
      ),
    );
  });

  it('says to serve a model folder with an OpenAI-compatible server and register that', async () => {
    const error = await createGenerator(
      version({ kind: 'folder', path: '/models/twin-hf' }),
      dependencies,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('twin:3 is a model folder (/models/twin-hf)');
    expect((error as Error).message).toContain(
      'OpenAI-compatible server (vLLM: `vllm serve /models/twin-hf`',
    );
    expect((error as Error).message).toContain('twin models register --openai-model');
  });
});
