import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { BpeTokenizer, minimumVocabSize, specialTokens, splitPieces } from './bpe-tokenizer.ts';

const corpus = [
  'The feature store is a contract, not a database. Boring is a feature.',
  'Ask me how I know: the model is the easy part, the data is the hard part.',
  'def rollback(version):\n    """Move the alias back."""\n    return registry.move("production", version)\n',
  'Tofu the dog 🐕 approves of versioned datasets. 特徴量ストア は 契約 です。',
  '  indented\n\tand tabbed\r\nlines  with   runs of    spaces',
];
const tricky = [
  '',
  'a',
  'hello 😀 world 👩‍👩‍👧 flags 🇳🇴',
  '    if (x) {\n\t\treturn   y;  \n    }\n',
  '日本語のテキストと中文文本和한국어',
  'naïve café — “quotes” ‘single’ … e\u0301 (combining accent)',
  '<|eos|> <|user|> are plain text here',
  '\u0000\u0001 control \u007f and trailing newline\n\n',
  'x'.repeat(1000),
];

describe('BpeTokenizer', () => {
  const tokenizer = BpeTokenizer.train(corpus, { vocabSize: 400, minFrequency: 1 });

  it('round-trips any text exactly, including emoji, code whitespace and CJK', () => {
    for (const text of [...corpus, ...tricky]) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('round-trips random unicode strings', () => {
    let state = 7;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state;
    };
    for (let sample = 0; sample < 50; sample++) {
      const characters: string[] = [];
      for (let index = 0; index < 40; index++) {
        const planes = [
          0x20 + (next() % 0x5f),
          0xa0 + (next() % 0x700),
          0x4e00 + (next() % 0x5000),
          0x1f300 + (next() % 0x300),
        ];
        characters.push(String.fromCodePoint(planes[next() % planes.length] as number));
      }
      const text = characters.join('');
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
  });

  it('learns merges that shorten frequent text', () => {
    expect(tokenizer.vocabSize).toBe(400);
    const text = 'the feature store is a contract';
    expect(tokenizer.encode(text).length).toBeLessThan(new TextEncoder().encode(text).length / 2);
  });

  it('never produces special tokens from text that spells them', () => {
    const ids = tokenizer.encode('<|eos|><|bos|><|user|><|assistant|><|pad|>');
    expect(ids.some((id) => tokenizer.isSpecial(id))).toBe(false);
    expect(tokenizer.decode([specialTokens.bos, ...ids, specialTokens.eos])).toBe(
      '<|eos|><|bos|><|user|><|assistant|><|pad|>',
    );
    expect(tokenizer.decode([specialTokens.eos], { skipSpecial: false })).toBe('<|eos|>');
  });

  it('is deterministic: same merges whatever the order of the corpus', () => {
    const again = BpeTokenizer.train(corpus, { vocabSize: 400, minFrequency: 1 });
    const reordered = BpeTokenizer.train([...corpus].reverse(), { vocabSize: 400, minFrequency: 1 });
    expect(again.toJSON()).toEqual(tokenizer.toJSON());
    expect(reordered.toJSON()).toEqual(tokenizer.toJSON());
  });

  it('stops early when no pair repeats often enough', () => {
    const small = BpeTokenizer.train(['abc abd'], { vocabSize: 1000 });
    // Only " a"/"ab"-style pairs occur twice; the rest would be merges of singletons.
    expect(small.vocabSize).toBeGreaterThan(minimumVocabSize);
    expect(small.vocabSize).toBeLessThan(minimumVocabSize + 5);
  });

  it('survives toJSON / fromJSON with identical encodings', () => {
    const copy = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    for (const text of [...corpus, ...tricky]) expect(copy.encode(text)).toEqual(tokenizer.encode(text));
  });

  it('rejects a tokenizer JSON whose merges refer to tokens that do not exist yet', () => {
    const json = tokenizer.toJSON();
    expect(() => BpeTokenizer.fromJSON({ ...json, merges: [5, 399] })).toThrow(ValidationError);
    expect(() => BpeTokenizer.fromJSON({ ...json, format: 'sentencepiece' })).toThrow(
      /invalid tokenizer JSON/,
    );
    expect(() => BpeTokenizer.train(corpus, { vocabSize: 100 })).toThrow(/vocabSize/);
  });

  it('splits text into pieces that join back to the input', () => {
    for (const text of [...corpus, ...tricky]) expect(splitPieces(text).join('')).toBe(text);
    expect(splitPieces('    return x')).toEqual(['   ', ' return', ' x']);
  });
});
