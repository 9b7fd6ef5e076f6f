import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../adapters/artifacts/local-artifact-store.ts';
import { runGeneratorContract } from '../contracts/generator-contract.ts';
import { ValidationError } from '../errors.ts';
import { saveCheckpoint } from '../local-model/checkpoint.ts';
import { LocalModel } from '../local-model/local-model.ts';
import { memorise } from '../local-model/test-support/memorise.ts';
import type { ChatMessage, GenerationSummary } from '../ports/generator.ts';
import { LocalModelGenerator } from './local-model-generator.ts';
import { perplexity } from './perplexity.ts';

// What the prompt template makes of a question when no passage fits the local model's window.
const pairs = [
  {
    instruction: 'Question: What is your rule for rollbacks?',
    answer: 'Keep every artifact an alias ever pointed at.',
  },
  { instruction: 'Question: Who is Tofu?', answer: 'Tofu is my dog, and he hates Friday deploys.' },
];
const system: ChatMessage = { role: 'system', content: 'You are Noor Halvorsen.' };

async function collect(stream: AsyncGenerator<string, GenerationSummary>) {
  const pieces: string[] = [];
  for (;;) {
    const step = await stream.next();
    if (step.done) return { pieces, text: pieces.join(''), summary: step.value };
    pieces.push(step.value);
  }
}

describe('LocalModelGenerator', () => {
  let folder: string;
  let artifacts: LocalArtifactStore;
  let checkpoint: { key: string; sha256: string };
  let generator: LocalModelGenerator;

  beforeAll(async () => {
    const { model, tokenizer } = await memorise(pairs, { steps: 150, config: { contextLength: 128 } });
    folder = await mkdtemp(join(tmpdir(), 'twin-local-generator-'));
    artifacts = new LocalArtifactStore(folder);
    checkpoint = await saveCheckpoint(artifacts, 'models/twin/1', { model, tokenizer });
    model.dispose();
    generator = await LocalModelGenerator.load(artifacts, checkpoint, { id: 'local:twin:1' });
  });
  afterAll(async () => {
    await generator.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('answers the last user message as the single instruction, streaming the memorised answer', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'Question: Who is Tofu?' },
      { role: 'assistant', content: 'Tofu is my dog.' },
    ];
    const { pieces, text, summary } = await collect(
      generator.stream({
        messages: [system, ...history, { role: 'user', content: pairs[0]!.instruction }],
        maxTokens: 60,
        temperature: 0,
      }),
    );
    expect(text).toBe(pairs[0]?.answer);
    expect(pieces.length).toBeGreaterThan(3);
    expect(summary.finishReason).toBe('stop');
    const model = await LocalModel.load(artifacts, checkpoint.key);
    try {
      // <|bos|><|user|>…<|assistant|> around the instruction; the answer's tokens without eos.
      expect(summary.promptTokens).toBe(model.countTokens(pairs[0]!.instruction) + 3);
      expect(summary.completionTokens).toBe(model.countTokens(pairs[0]!.answer));
    } finally {
      model.dispose();
    }
  });

  it('budgets prompts with its own tokenizer: the last user message, in half the window less three markers', async () => {
    expect(generator.promptBudget.maxPromptTokens).toBe(128 / 2 - 3);
    const model = await LocalModel.load(artifacts, checkpoint.key);
    try {
      expect(generator.promptBudget.measure([system, { role: 'user', content: pairs[1]!.instruction }])).toBe(
        model.countTokens(pairs[1]!.instruction),
      );
    } finally {
      model.dispose();
    }
  });

  it('scores an answer as the checkpoint does, the last user message being the instruction', async () => {
    const messages: ChatMessage[] = [system, { role: 'user', content: pairs[1]!.instruction }];
    const memorised = await generator.score({ messages, answer: pairs[1]!.answer });
    const other = await generator.score({ messages, answer: pairs[0]!.answer });
    const model = await LocalModel.load(artifacts, checkpoint.key);
    try {
      expect(memorised).toEqual(model.score(pairs[1]!.instruction, pairs[1]!.answer));
      // One log-probability per answer token, and one for the eos that ends it.
      expect(memorised.tokenLogProbabilities).toHaveLength(model.countTokens(pairs[1]!.answer) + 1);
    } finally {
      model.dispose();
    }
    expect(perplexity(memorised.tokenLogProbabilities)).toBeLessThan(perplexity(other.tokenLogProbabilities));
    await expect(
      generator.score({ messages: [system, { role: 'assistant', content: 'Hi' }], answer: 'x' }),
    ).rejects.toThrow(ValidationError);
  });

  it('maps finish reasons: length at maxTokens, stop at a stop string, abort on the signal', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: pairs[1]!.instruction }];
    const cut = await collect(generator.stream({ messages, maxTokens: 3, temperature: 0 }));
    expect(cut.summary).toMatchObject({ finishReason: 'length', completionTokens: 3 });
    expect(pairs[1]?.answer.startsWith(cut.text)).toBe(true);

    const stopped = await collect(
      generator.stream({ messages, maxTokens: 60, temperature: 0, stop: [', and'] }),
    );
    expect(stopped.text).toBe('Tofu is my dog');
    expect(stopped.summary.finishReason).toBe('stop');

    const controller = new AbortController();
    const stream = generator.stream({ messages, maxTokens: 60, temperature: 0, signal: controller.signal });
    const first = await stream.next();
    expect(first.done).toBe(false);
    controller.abort();
    const rest = await collect(stream);
    expect(rest.summary.finishReason).toBe('abort');
    expect(`${first.value}${rest.text}`.length).toBeLessThan(pairs[1]!.answer.length);
  });

  it('samples reproducibly with a seed', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'Question: What do you think about cats?' }];
    const request = { messages, maxTokens: 20, temperature: 1.2, topK: 20, topP: 0.95, seed: 42 };
    const first = await collect(generator.stream(request));
    const second = await collect(generator.stream(request));
    expect(second.text).toBe(first.text);
    expect(first.summary.completionTokens).toBeGreaterThan(0);
  });

  it('refuses a conversation that does not end with the user', async () => {
    await expect(
      collect(
        generator.stream({
          messages: [system, { role: 'assistant', content: 'Hi' }],
          maxTokens: 5,
          temperature: 0,
        }),
      ),
    ).rejects.toThrow(ValidationError);
  });

  it('refuses a checkpoint whose manifest does not hash to the registered sha256', async () => {
    await expect(
      LocalModelGenerator.load(
        artifacts,
        { key: checkpoint.key, sha256: '0'.repeat(64) },
        { id: 'local:twin:1' },
      ),
    ).rejects.toThrow(/differs from the registered/);
  });

  it('frees the weights on close only after the answer in progress has finished', async () => {
    const model = await LocalModel.load(artifacts, checkpoint.key);
    const closing = new LocalModelGenerator(model, { id: 'local:twin:1' });
    const stream = closing.stream({
      messages: [{ role: 'user', content: pairs[0]!.instruction }],
      maxTokens: 60,
      temperature: 0,
    });
    const first = await stream.next();
    await closing.close();
    const rest = await collect(stream);
    expect(`${first.value}${rest.text}`).toBe(pairs[0]?.answer);
    await expect(model.complete('Question: Who is Tofu?')).rejects.toThrow(/disposed/);
    await expect(
      collect(closing.stream({ messages: [{ role: 'user', content: 'x' }], maxTokens: 5, temperature: 0 })),
    ).rejects.toThrow(/closed/);
  });
});

// Multi-byte characters that the byte-level tokenizer spreads over several tokens.
const contractPair = {
  instruction: 'Question: Where does Tofu sleep?',
  answer: 'Under the desk 🐕, by the café’s radiator.',
};

describe('LocalModelGenerator as a Generator', () => {
  let folder: string;
  let artifacts: LocalArtifactStore;
  let checkpoint: { key: string; sha256: string };
  beforeAll(async () => {
    const { model, tokenizer } = await memorise([contractPair, pairs[0]!], {
      steps: 150,
      config: { contextLength: 128 },
    });
    folder = await mkdtemp(join(tmpdir(), 'twin-local-contract-'));
    artifacts = new LocalArtifactStore(folder);
    checkpoint = await saveCheckpoint(artifacts, 'models/twin/2', { model, tokenizer });
    model.dispose();
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  runGeneratorContract('local checkpoint', async () => {
    const messages: ChatMessage[] = [system, { role: 'user', content: contractPair.instruction }];
    return {
      generator: await LocalModelGenerator.load(artifacts, checkpoint, { id: 'local:twin:2' }),
      request: { messages, maxTokens: 60, temperature: 0 },
      answer: contractPair.answer,
      finishReason: 'stop',
      shortMaxTokens: 4,
      scoring: {
        likely: { messages, answer: contractPair.answer },
        unlikely: { messages, answer: pairs[0]!.answer },
      },
    };
  });
});
