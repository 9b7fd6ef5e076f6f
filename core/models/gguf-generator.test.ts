import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGeneratorContract } from '../contracts/generator-contract.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ChatMessage, GenerationSummary } from '../ports/generator.ts';
import { writeTinyGguf } from './__fixtures__/write-tiny-gguf.ts';
import { GgufGenerator } from './gguf-generator.ts';
import { perplexity } from './perplexity.ts';

// node-llama-cpp is an optional dependency: without it, only the checks made before loading it run.
const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

async function collect(stream: AsyncGenerator<string, GenerationSummary>) {
  const pieces: string[] = [];
  for (;;) {
    const step = await stream.next();
    if (step.done) return { pieces, text: pieces.join(''), summary: step.value };
    pieces.push(step.value);
  }
}

describe('GgufGenerator', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-gguf-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('says which file is missing and how to fix it', async () => {
    const path = join(folder, 'models', 'twin.Q4_K_M.gguf');
    const error = await GgufGenerator.load({ path, sha256: null }, { id: 'gguf:twin:2' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(
      `GGUF model file ${path} does not exist: put the file back, or register the model again with \`twin models register --gguf <file>\``,
    );
  });

  it('refuses a file whose header promises more than it holds, before llama.cpp tries to read it', async () => {
    const path = join(folder, 'truncated.gguf');
    const header = Buffer.alloc(24 + 40);
    header.write('GGUF', 0, 'latin1');
    header.writeUInt32LE(3, 4);
    header.writeBigUInt64LE(291n, 8);
    header.writeBigUInt64LE(24n, 16);
    await writeFile(path, header);
    await expect(GgufGenerator.load({ path, sha256: null }, { id: 'gguf:twin:2' })).rejects.toThrow(
      `${path} is not a usable GGUF file: its header lists 291 tensors and 24 metadata entries, more than its 64 bytes can hold`,
    );
  });

  it('refuses a file that does not hash to the registered sha256', async () => {
    const path = join(folder, 'changed.gguf');
    await writeFile(path, 'not the registered bytes');
    await expect(GgufGenerator.load({ path, sha256: 'a'.repeat(64) }, { id: 'gguf:twin:2' })).rejects.toThrow(
      /has sha256 [0-9a-f]{64}, the registry says a{64}: the file changed since it was registered/,
    );
  });

  it.runIf(installed)('wraps node-llama-cpp’s error for a file that is not GGUF with the path', async () => {
    const path = join(folder, 'junk.gguf');
    await writeFile(path, Buffer.from('PK\u0003\u0004 this is a zip, not a model '.repeat(40), 'latin1'));
    const error = await GgufGenerator.load({ path, sha256: null }, { id: 'gguf:twin:2' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cannot load GGUF model ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: Invalid GGUF magic`,
      ),
    );
  });
});

describe.runIf(installed)(
  'GgufGenerator on a tiny GGUF written by the test (it always says "boring")',
  () => {
    let folder: string;
    let generator: GgufGenerator;
    const messages = [
      { role: 'system' as const, content: 'You are Noor Halvorsen.' },
      { role: 'user' as const, content: 'What is your favourite kind of infrastructure?' },
    ];
    beforeAll(async () => {
      folder = await mkdtemp(join(tmpdir(), 'twin-gguf-tiny-'));
      const path = join(folder, 'tiny.gguf');
      await writeTinyGguf(path);
      generator = await GgufGenerator.load({ path, sha256: null }, { id: 'gguf:twin:2', threads: 1 });
    });
    afterAll(async () => {
      await generator?.close();
      await rm(folder, { recursive: true, force: true });
    });

    it('streams the answer piece by piece through a chat session, with llama.cpp’s token counts', async () => {
      const { pieces, text, summary } = await collect(
        generator.stream({ messages, maxTokens: 5, temperature: 0 }),
      );
      expect(pieces).toEqual(['boring', ' boring', ' boring', ' boring', ' boring']);
      expect(text).toBe('boring boring boring boring boring');
      expect(summary.finishReason).toBe('length');
      expect(summary.completionTokens).toBe(5);
      // The system prompt and question went in through the chat template, not just the question.
      expect(summary.promptTokens).toBeGreaterThan(generator.promptBudget.measure(messages.slice(1)));
    });

    it('budgets prompts with the model’s own tokenizer and a quarter of the window kept for the answer', () => {
      expect(generator.promptBudget.maxPromptTokens).toBe(1536);
      // Byte-fallback vocabulary: one token per UTF-8 byte of the SentencePiece text (spaces become
      // the three-byte ▁), plus the template's allowance per message.
      expect(generator.promptBudget.measure([{ role: 'user', content: 'Hello there' }])).toBe(
        Buffer.byteLength('▁Hello▁there') + 8,
      );
    });

    it('stops at a stop string, with earlier turns in the session', async () => {
      const { text, summary } = await collect(
        generator.stream({
          messages: [
            messages[0]!,
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Hello.' },
            messages[1]!,
          ],
          maxTokens: 20,
          temperature: 0,
          stop: ['g boring'],
        }),
      );
      // While a stop string might be starting, node-llama-cpp holds text back and then releases it
      // as the raw SentencePiece pieces, so this toy vocabulary's word marker ▁ shows up unescaped.
      expect(text.replaceAll('\u2581', ' ').trim()).toBe('borin');
      expect(summary).toMatchObject({ finishReason: 'stop', completionTokens: 2 });
    });

    it('scores an answer with llama.cpp’s own token probabilities, end of turn included', async () => {
      // The output row of "boring" is 4·direction, the final norm maps every hidden state onto
      // direction/√(1 + ε) with |direction|² = 16: "boring" leads every other token by this logit.
      const lead = 64 / Math.sqrt(1 + 1e-5);
      const likely = await generator.score({ messages, answer: 'boring boring' });
      // The template tokenizes the answer on its own, with no word marker before its first word:
      // the bytes of "boring" (none of them the likely token), then "▁boring" at log p ≈ 0, then
      // the end of the turn, which this model never says.
      expect(likely.tokenLogProbabilities).toHaveLength(8);
      likely.tokenLogProbabilities.forEach((value, index) => {
        expect(value).toBeCloseTo(index === 6 ? 0 : -lead, 4);
      });
      expect(Math.log(perplexity(likely.tokenLogProbabilities))).toBeCloseTo((7 * lead) / 8, 4);
      // The bytes of "bored", then the end of the turn: none of them is "▁boring".
      const unlikely = await generator.score({ messages, answer: 'bored' });
      expect(unlikely.tokenLogProbabilities).toHaveLength(6);
      for (const value of unlikely.tokenLogProbabilities) expect(value).toBeCloseTo(-lead, 4);
      await expect(
        generator.score({ messages: [messages[0]!, { role: 'assistant', content: 'Hi' }], answer: 'x' }),
      ).rejects.toThrow(ValidationError);
    });

    it('leans toward the sources’ wording only as far as its copy bias goes', async () => {
      // The default bias (1 + 4 logits for a quoted phrase's next token) is far below this model's
      // 64-logit lead for "boring": it shifts probabilities, it does not write the answer.
      const sources = ['boring!'];
      const mild = await collect(generator.stream({ messages, maxTokens: 4, temperature: 0, sources }));
      expect(mild.text).toBe('boring boring boring boring');
      // 100 logits on what follows "▁boring" in the source (the byte "!") beats the lead: the
      // answer copies "boring!". Then, with no phrase to continue after "!", it says "boring"
      // again, and the "!" it has already quoted from there gets no second push.
      const strong = await GgufGenerator.load(
        { path: join(folder, 'tiny.gguf'), sha256: null },
        { id: 'gguf:twin:3', threads: 1, copyBias: { token: 0, continuation: 100 } },
      );
      try {
        const copied = await collect(strong.stream({ messages, maxTokens: 4, temperature: 0, sources }));
        expect(copied.text).toBe('boring! boring boring');
        const unbiased = await collect(strong.stream({ messages, maxTokens: 4, temperature: 0 }));
        expect(unbiased.text).toBe('boring boring boring boring');
      } finally {
        await strong.close();
      }
    });

    it('stops on abort, and takes requests one at a time', async () => {
      const controller = new AbortController();
      const first = generator.stream({ messages, maxTokens: 200, temperature: 0, signal: controller.signal });
      const second = generator.stream({ messages, maxTokens: 2, temperature: 0 });
      const secondDone = collect(second);
      expect((await first.next()).value).toBe('boring');
      controller.abort();
      const rest = await collect(first);
      expect(rest.summary.finishReason).toBe('abort');
      expect(rest.summary.completionTokens).toBeLessThan(200);
      expect((await secondDone).text).toBe('boring boring');
    });
  },
);

describe.runIf(installed)('GgufGenerator as a Generator', () => {
  let folder: string;
  let path: string;
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You are Noor Halvorsen.' },
    { role: 'user', content: 'What is your favourite kind of infrastructure?' },
  ];
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-gguf-contract-'));
    path = join(folder, 'tiny.gguf');
    await writeTinyGguf(path);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  runGeneratorContract('GGUF file (tiny, always says "boring")', async () => ({
    generator: await GgufGenerator.load({ path, sha256: null }, { id: 'gguf:twin:2', threads: 1 }),
    // It never ends by itself: the answer is as long as maxTokens lets it be.
    request: { messages, maxTokens: 200, temperature: 0 },
    answer: Array.from({ length: 200 }, () => 'boring').join(' '),
    finishReason: 'length',
    shortMaxTokens: 3,
    scoring: {
      likely: { messages, answer: 'boring boring' },
      unlikely: { messages, answer: 'bored' },
    },
  }));
});
