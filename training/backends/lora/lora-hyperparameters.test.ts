import { describe, expect, it } from 'vitest';
import { adaptedLayers, parseLoraHyperparameters } from './lora-hyperparameters.ts';

describe('LoRA hyper-parameters', () => {
  it('fill in defaults, with a tenth of the steps as warmup', () => {
    const parsed = parseLoraHyperparameters({ steps: 45, targets: ['attn_q', 'attn_v', 'attn_q'] });
    expect(parsed).toMatchObject({
      rank: 16,
      alpha: 32,
      steps: 45,
      warmupSteps: 4,
      targets: ['attn_q', 'attn_v'],
    });
    // What the registry stores parses again to itself: a queued job re-reads it.
    expect(parseLoraHyperparameters({ ...parsed })).toEqual(parsed);
  });

  it('list every problem at once', () => {
    expect(() =>
      parseLoraHyperparameters({ rank: 0, targets: ['attn_x'], layers: { top: 0 }, learningRat: 1 }),
    ).toThrow(
      [
        'invalid hyper-parameters for the lora backend:',
        '  - rank: Too small: expected number to be >=1',
        '  - targets.0: Invalid option: expected one of "attn_q"|"attn_k"|"attn_v"|"attn_output"|"ffn_gate"|"ffn_up"|"ffn_down"',
        '  - layers.top: Too small: expected number to be >=1',
        '  - hyperparameters: Unrecognized key: "learningRat"',
      ].join('\n'),
    );
    expect(() => parseLoraHyperparameters({ steps: 5, warmupSteps: 5 })).toThrow(
      'warmupSteps: 5 must be smaller than steps (5)',
    );
  });

  it('start from a preset, which keys given beside it override', () => {
    const demo = parseLoraHyperparameters({ preset: 'demo', learningRate: 0.003 });
    expect(demo).toMatchObject({
      preset: 'demo',
      steps: 6,
      batchSize: 2,
      learningRate: 0.003,
      maxSequenceTokens: 256,
      layers: { top: 20 },
    });
    expect(parseLoraHyperparameters({ ...demo })).toEqual(demo);
    expect(() => parseLoraHyperparameters({ preset: 'huge' })).toThrow(
      /preset: Invalid input: expected "demo"/,
    );
  });

  it('adapt all layers, or the top N of them', () => {
    expect(adaptedLayers('all', 3)).toEqual([0, 1, 2]);
    expect(adaptedLayers({ top: 2 }, 30)).toEqual([28, 29]);
    expect(adaptedLayers({ top: 40 }, 3)).toEqual([0, 1, 2]);
  });
});
