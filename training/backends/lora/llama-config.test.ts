import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import { parseLlamaConfig } from './llama-config.ts';

// SmolLM2-135M-Instruct's metadata as its GGUF file states it (the epsilon is a float32).
const smolLm2 = (): Map<string, unknown> =>
  new Map<string, unknown>([
    ['general.architecture', 'llama'],
    ['llama.block_count', 30],
    ['llama.context_length', 8192],
    ['llama.embedding_length', 576],
    ['llama.feed_forward_length', 1536],
    ['llama.attention.head_count', 9],
    ['llama.attention.head_count_kv', 3],
    ['llama.attention.layer_norm_rms_epsilon', 9.999999747378752e-6],
    ['llama.rope.freq_base', 100_000],
    ['llama.rope.dimension_count', 64],
    ['llama.vocab_size', 49_152],
  ]);

describe('parseLlamaConfig', () => {
  it("reads SmolLM2's shape", () => {
    expect(parseLlamaConfig(smolLm2())).toEqual({
      vocabularySize: 49_152,
      contextLength: 8192,
      embeddingLength: 576,
      blockCount: 30,
      feedForwardLength: 1536,
      headCount: 9,
      headCountKv: 3,
      headDimension: 64,
      ropeDimensionCount: 64,
      ropeFreqBase: 100_000,
      ropeFreqScale: 1,
      rmsEpsilon: 9.999999747378752e-6,
      attentionScale: 1 / 8,
    });
  });

  it("fills optional keys with llama.cpp's defaults", () => {
    const metadata = smolLm2();
    for (const key of [
      'llama.attention.head_count_kv',
      'llama.rope.freq_base',
      'llama.rope.dimension_count',
      'llama.vocab_size',
    ])
      metadata.delete(key);
    metadata.set('tokenizer.ggml.tokens', ['<unk>', '<s>', '</s>', 'a']);
    // 64-bit integers come back from a GGUF reader as bigints.
    metadata.set('llama.block_count', 30n);
    expect(parseLlamaConfig(metadata)).toMatchObject({
      vocabularySize: 4,
      blockCount: 30,
      headCountKv: 9,
      ropeDimensionCount: 64,
      ropeFreqBase: 10_000,
    });
  });

  it('takes the attention scale and linear rotary scaling from the file', () => {
    const metadata = smolLm2();
    metadata.set('llama.attention.scale', 0.5);
    metadata.set('llama.rope.scaling.type', 'linear');
    metadata.set('llama.rope.scaling.factor', 4);
    expect(parseLlamaConfig(metadata)).toMatchObject({ attentionScale: 0.5, ropeFreqScale: 0.25 });
    metadata.set('llama.rope.scaling.type', 'none');
    expect(parseLlamaConfig(metadata)).toMatchObject({ ropeFreqScale: 1 });
  });

  it('lists every missing key in one error', () => {
    const metadata = smolLm2();
    metadata.delete('llama.block_count');
    metadata.delete('llama.attention.layer_norm_rms_epsilon');
    metadata.set('llama.feed_forward_length', -3);
    expect(() => parseLlamaConfig(metadata)).toThrow(
      new ValidationError(
        [
          'GGUF metadata does not describe a llama model we can run:',
          '  - llama.block_count is missing',
          '  - llama.feed_forward_length must be a positive integer, got -3',
          '  - llama.attention.layer_norm_rms_epsilon is missing',
        ].join('\n'),
      ),
    );
  });

  it('refuses what the forward pass does not compute as llama.cpp does', () => {
    const yarn = smolLm2();
    yarn.set('llama.rope.scaling.type', 'yarn');
    expect(() => parseLlamaConfig(yarn)).toThrow(
      'llama.rope.scaling.type "yarn" is not supported (only none and linear)',
    );
    const partialRope = smolLm2();
    partialRope.set('llama.rope.dimension_count', 32);
    expect(() => parseLlamaConfig(partialRope)).toThrow(
      'llama.rope.dimension_count is 32 but heads are 64 wide: llama.cpp rotates whole heads',
    );
    const experts = smolLm2();
    experts.set('llama.expert_count', 8);
    expect(() => parseLlamaConfig(experts)).toThrow('mixture-of-experts models are not supported');
    const uneven = smolLm2();
    uneven.set('llama.attention.head_count_kv', 2);
    expect(() => parseLlamaConfig(uneven)).toThrow('9 query heads cannot share 2 key/value heads evenly');
    const other = smolLm2();
    other.set('general.architecture', 'qwen2');
    expect(() => parseLlamaConfig(other)).toThrow(
      'general.architecture is "qwen2": only "llama" models are supported',
    );
  });
});
