import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pulledBaseModel } from './__fixtures__/pulled-base-model.ts';
import { writeTinyGguf } from './__fixtures__/write-tiny-gguf.ts';
import { GgufGenerator } from './gguf-generator.ts';
import { openGgufVocabulary } from './gguf-vocabulary.ts';

const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));
const messages = [
  { role: 'system' as const, content: 'You are Noor Halvorsen.' },
  { role: 'user' as const, content: 'What is your favourite kind of infrastructure?' },
];

describe.runIf(installed)('openGgufVocabulary', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-vocabulary-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('gives the answer exactly the tokens the loaded model scores', async () => {
    const path = join(folder, 'tiny.gguf');
    await writeTinyGguf(path);
    const vocabulary = await openGgufVocabulary(path);
    const generator = await GgufGenerator.load({ path, sha256: null }, { id: 'tiny', threads: 1 });
    try {
      const { tokens, answerStart } = vocabulary.chatAnswerTokens(messages, 'boring boring');
      const scored = await generator.score({ messages, answer: 'boring boring' });
      // One log-probability per answer token: the bytes of "boring", "▁boring", end of turn.
      expect(tokens.length - answerStart).toBe(scored.tokenLogProbabilities.length);
      expect(tokens.length - answerStart).toBe(8);
      expect(tokens.at(-1)).toBe(2); // </s>, the tiny model's end of turn
      // ▁boring comes right after the 3 special and 256 byte tokens.
      expect(vocabulary.tokenize('boring')).toEqual([3 + 256]);
    } finally {
      await generator.close();
      await vocabulary.close();
    }
  });

  it('refuses a file that is not GGUF with node-llama-cpp’s reason', async () => {
    await expect(openGgufVocabulary(join(folder, 'missing.gguf'))).rejects.toThrow();
  });
});

const smollm = pulledBaseModel();

describe.skipIf(smollm === null)('openGgufVocabulary on SmolLM2', () => {
  it('renders ChatML: the answer starts after "<|im_start|>assistant\\n" and ends with <|im_end|>', async () => {
    const vocabulary = await openGgufVocabulary(smollm as string);
    try {
      const { tokens, answerStart } = vocabulary.chatAnswerTokens(messages, 'Boring ones.');
      const answer = vocabulary.tokenize('Boring ones.');
      expect(tokens.slice(answerStart, answerStart + answer.length)).toEqual(answer);
      expect(tokens.length).toBe(answerStart + answer.length + 1);
      expect(tokens.slice(answerStart - 3, answerStart)).toEqual(
        vocabulary.tokenize('assistant\n').slice(-3),
      );
    } finally {
      await vocabulary.close();
    }
  });
});
