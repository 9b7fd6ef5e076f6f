import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BpeTokenizer } from './bpe-tokenizer.ts';
import { specialTokens } from './bpe-tokenizer.ts';
import { ChatFormat } from './chat-format.ts';
import { type GenerationSummary, generateTokens, sampleToken, scoreAnswer } from './sampling.ts';
import { createSeededRandom } from './seeded-random.ts';
import { memorise } from './test-support/memorise.ts';
import type { TransformerModel } from './transformer-model.ts';
import { Utf8StreamDecoder } from './utf8-stream-decoder.ts';

const pairs = [
  {
    instruction: 'Who guards the feature store?',
    answer: 'Tofu 🐕 guards it. 特徴量ストア is a contract 🙂',
  },
  { instruction: 'What is a feature?', answer: 'Boring is a feature, ask me how I know.' },
  { instruction: 'Rollback?', answer: 'Move the alias back: one atomic step. 🔁' },
];

async function collect(
  stream: AsyncGenerator<string, GenerationSummary>,
): Promise<{ pieces: string[]; summary: GenerationSummary }> {
  const pieces: string[] = [];
  for (;;) {
    const step = await stream.next();
    if (step.done) return { pieces, summary: step.value };
    pieces.push(step.value);
  }
}

/** Valid UTF-16 (no lone surrogate), so it encodes to valid UTF-8. */
function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/** Well-formed and with no replacement character: no character was split or garbled. */
function isWhole(text: string): boolean {
  return isWellFormed(text) && !text.includes('\uFFFD');
}

describe('generateTokens', () => {
  let model: TransformerModel;
  let tokenizer: BpeTokenizer;
  beforeAll(async () => {
    ({ model, tokenizer } = await memorise(pairs, { steps: 150 }));
  });
  afterAll(() => model.dispose());

  it('streams a memorised answer greedily, in whole characters, ending on eos', async () => {
    const { pieces, summary } = await collect(
      generateTokens(model, tokenizer, pairs[0]?.instruction ?? '', { temperature: 0, maxTokens: 80 }),
    );
    expect(pieces.join('')).toBe(pairs[0]?.answer);
    // The emoji spans several byte-level tokens, so the decoder really had to hold bytes back.
    expect(tokenizer.encode('🐕').length).toBeGreaterThan(1);
    expect(pieces.length).toBeGreaterThan(3);
    for (const piece of pieces) expect(isWhole(piece)).toBe(true);
    expect(summary.finishReason).toBe('eos');
    expect(summary.completionTokens).toBe(tokenizer.encode(pairs[0]?.answer ?? '').length);
  });

  it('stops before a stop string and never yields any part of it', async () => {
    const { pieces, summary } = await collect(
      generateTokens(model, tokenizer, pairs[0]?.instruction ?? '', { temperature: 0, stop: ['ストア is'] }),
    );
    expect(pieces.join('')).toBe('Tofu 🐕 guards it. 特徴量');
    expect(summary.finishReason).toBe('stop');
  });

  it('ends at maxTokens and on abort', async () => {
    const short = await collect(
      generateTokens(model, tokenizer, pairs[1]?.instruction ?? '', { temperature: 0, maxTokens: 3 }),
    );
    expect(short.summary).toMatchObject({ finishReason: 'length', completionTokens: 3 });
    expect(pairs[1]?.answer.startsWith(short.pieces.join(''))).toBe(true);

    const controller = new AbortController();
    const stream = generateTokens(model, tokenizer, pairs[1]?.instruction ?? '', {
      temperature: 0,
      signal: controller.signal,
    });
    const first = await stream.next();
    expect(first.done).toBe(false);
    controller.abort();
    const rest = await collect(stream);
    expect(rest.summary.finishReason).toBe('abort');
    expect(rest.summary.completionTokens).toBeLessThan(4);
  });

  it('repeats itself for the same seed when sampling', async () => {
    const options = { temperature: 1.5, topK: 0, maxTokens: 20, seed: 42 };
    const first = await collect(generateTokens(model, tokenizer, 'Something unseen', options));
    const second = await collect(generateTokens(model, tokenizer, 'Something unseen', options));
    expect(second.pieces.join('')).toBe(first.pieces.join(''));
    for (const piece of first.pieces) expect(isWellFormed(piece)).toBe(true);
  });

  it('keeps the tensor count stable across generations', async () => {
    await collect(generateTokens(model, tokenizer, 'warm up', { maxTokens: 5, seed: 1 }));
    const before = tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      await collect(
        generateTokens(model, tokenizer, pairs[2]?.instruction ?? '', { maxTokens: 10, seed: round }),
      );
      scoreAnswer(model, tokenizer, pairs[2]?.instruction ?? '', pairs[2]?.answer ?? '');
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects invalid options', async () => {
    await expect(
      collect(generateTokens(model, tokenizer, 'x', { temperature: -1, topP: 0 })),
    ).rejects.toThrow(/temperature.*topP|topP.*temperature/s);
  });
});

/** The old aggregate view of a score: total log-probability and token count. */
function summed(score: { tokenLogProbabilities: number[] }) {
  return {
    logProb: score.tokenLogProbabilities.reduce((sum, value) => sum + value, 0),
    tokens: score.tokenLogProbabilities.length,
  };
}

describe('scoreAnswer', () => {
  let model: TransformerModel;
  let tokenizer: BpeTokenizer;
  beforeAll(async () => {
    ({ model, tokenizer } = await memorise(pairs.slice(1), { steps: 60 }));
  });
  afterAll(() => model.dispose());

  it('gives the memorised answer a far higher log-probability than a foreign one', () => {
    const instruction = pairs[1]?.instruction ?? '';
    const memorised = summed(scoreAnswer(model, tokenizer, instruction, pairs[1]?.answer ?? ''));
    const foreign = summed(
      scoreAnswer(model, tokenizer, instruction, 'Move the alias back: one atomic step.'),
    );
    expect(memorised.tokens).toBe(tokenizer.encode(pairs[1]?.answer ?? '').length + 1);
    expect(memorised.logProb).toBeLessThan(0);
    expect(memorised.logProb / memorised.tokens).toBeGreaterThan(foreign.logProb / foreign.tokens + 1);
  });

  it('scores exactly what training’s loss measures, window by window', () => {
    const instruction = pairs[1]?.instruction ?? '';
    // Longer than the 64-token window, so it is scored in two windows.
    const answer = `${pairs[1]?.answer} ${pairs[2]?.answer} ${pairs[1]?.answer}`;
    const scored = scoreAnswer(model, tokenizer, instruction, answer).tokenLogProbabilities;
    const format = new ChatFormat(tokenizer, { contextLength: model.config.contextLength });
    const windows = format.toWindows(format.formatExample(instruction, answer));
    expect(windows.length).toBeGreaterThan(1);
    let loss = 0;
    for (const window of windows) {
      const length = window.ids.length - 1;
      const value = model.loss({
        rows: 1,
        length,
        inputs: Int32Array.from(window.ids.slice(0, length)),
        targets: Int32Array.from(window.ids.slice(1)),
        weights: Float32Array.from(window.lossMask.slice(1)),
      });
      loss += value.dataSync()[0] as number;
      value.dispose();
    }
    expect(scored).toHaveLength(tokenizer.encode(answer).length + 1);
    expect(scored.every((value) => value < 0)).toBe(true);
    expect(-scored.reduce((sum, value) => sum + value, 0)).toBeCloseTo(loss, 2);
  });
});

describe('sampleToken', () => {
  const logits = Float32Array.from([9, 9, 8, 9, 9, 0.5, 3, 3, 2]);
  const random = createSeededRandom(1);

  it('is greedy at temperature 0, ties to the smaller id, specials other than eos excluded', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, random)).toBe(specialTokens.eos);
    const noEos = Float32Array.from(logits);
    noEos[specialTokens.eos] = -5;
    expect(sampleToken(noEos, { temperature: 0, topK: 0, topP: 1 }, random)).toBe(6);
  });

  it('draws only within top-k and the top-p nucleus', () => {
    const seen = new Set<number>();
    for (let draw = 0; draw < 200; draw++)
      seen.add(sampleToken(logits, { temperature: 1, topK: 3, topP: 1 }, random));
    expect([...seen].sort()).toEqual([2, 6, 7]);
    const nucleus = new Set<number>();
    for (let draw = 0; draw < 200; draw++)
      nucleus.add(sampleToken(logits, { temperature: 1, topK: 0, topP: 0.5 }, random));
    expect([...nucleus]).toEqual([2]);
  });
});

describe('Utf8StreamDecoder', () => {
  it('never splits a character, whatever the byte boundaries', () => {
    const text = 'a😀b€c特徴🇳🇴';
    const bytes = new TextEncoder().encode(text);
    const decoder = new Utf8StreamDecoder();
    const pieces = Array.from(bytes, (byte) => decoder.push(Uint8Array.of(byte)));
    for (const piece of pieces) expect(isWhole(piece)).toBe(true);
    expect(pieces.join('') + decoder.finish()).toBe(text);
    expect(new Utf8StreamDecoder().push(Uint8Array.of(0xf0, 0x9f))).toBe('');
  });
});
