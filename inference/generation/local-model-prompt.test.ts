import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/artifacts/local-artifact-store.ts';
import { saveCheckpoint } from '../../core/local-model/checkpoint.ts';
import { memorise } from '../../core/local-model/test-support/memorise.ts';
import { collectStream } from '../../core/models/collect-stream.ts';
import { LocalModelGenerator, localInstruction } from '../../core/models/local-model-generator.ts';
import { noorPassages } from './__fixtures__/noor-passages.ts';
import { loadPromptTemplate } from './prompt-template.ts';

// What the prompt template makes of a question when no passage fits the local model's window.
const pairs = [
  {
    instruction: 'Question: What is your rule for rollbacks?',
    answer: 'Keep every artifact an alias ever pointed at.',
  },
  { instruction: 'Question: Who is Tofu?', answer: 'Tofu is my dog, and he hates Friday deploys.' },
];

describe('the prompt template within a local checkpoint’s budget', () => {
  let folder: string;
  let generator: LocalModelGenerator;

  beforeAll(async () => {
    const { model, tokenizer } = await memorise(pairs, { steps: 150, config: { contextLength: 128 } });
    folder = await mkdtemp(join(tmpdir(), 'twin-local-prompt-'));
    const artifacts = new LocalArtifactStore(folder);
    const checkpoint = await saveCheckpoint(artifacts, 'models/twin/1', { model, tokenizer });
    model.dispose();
    generator = await LocalModelGenerator.load(artifacts, checkpoint, { id: 'local:twin:1' });
  });
  afterAll(async () => {
    await generator.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('budgets prompts with its own tokenizer and window: the question survives, passages only if they fit', async () => {
    expect(generator.promptBudget.maxPromptTokens).toBe(128 / 2 - 3);
    const built = loadPromptTemplate().buildMessages(
      { authorName: 'Noor Halvorsen', question: 'What is your rule for rollbacks?', sources: noorPassages },
      generator.promptBudget,
    );
    expect(built.promptTokens).toBeLessThanOrEqual(generator.promptBudget.maxPromptTokens);
    // The checkpoint's tokenizer never saw these passages: not even a cut one fits beside the question.
    expect(built.sources).toEqual([]);
    expect(localInstruction(built.messages)).toBe(pairs[0]?.instruction);
    const { text } = await collectStream(
      generator.stream({ messages: built.messages, maxTokens: 60, temperature: 0 }),
    );
    expect(text).toBe(pairs[0]?.answer);

    const short = [
      { title: 'Rules', url: 'r', text: 'Keep every artifact an alias ever pointed at, ask me how I know.' },
    ];
    const withSource = loadPromptTemplate().buildMessages(
      { authorName: 'Noor Halvorsen', question: 'Who is Tofu?', sources: short },
      { ...generator.promptBudget, maxPromptTokens: 200 },
    );
    expect(withSource.sources).toHaveLength(1);
    expect(generator.promptBudget.measure(withSource.messages)).toBe(withSource.promptTokens);
  });
});
