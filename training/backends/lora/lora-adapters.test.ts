import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import { createSeededRandom } from '../../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../../core/local-model/tfjs-runtime.ts';
import { tinyLlama } from './__fixtures__/write-tiny-llama-gguf.ts';
import { parseLlamaConfig } from './llama-config.ts';
import { LoraAdapters, type LoraPairValues, type LoraSettings } from './lora-adapters.ts';

// The tiny model: width 64, 4 heads and 2 key/value heads of 16, feed-forward 128, 2 blocks.
const config = parseLlamaConfig(tinyLlama().metadata);
const settings: LoraSettings = { rank: 4, alpha: 8, targets: ['attn_k', 'ffn_down'], layers: [1] };

describe('LoraAdapters', () => {
  beforeAll(async () => {
    await initTfjs();
  });

  it('starts as PEFT does: A uniform within ±1/√inputs, B zero', () => {
    const adapters = LoraAdapters.create(config, settings, createSeededRandom(1));
    expect(adapters.tensorNames).toEqual(['blk.1.attn_k.weight', 'blk.1.ffn_down.weight']);
    expect(adapters.scale).toBe(2);
    expect(adapters.variables.map((variable) => variable.shape)).toEqual([
      [4, 64],
      [32, 4],
      [4, 128],
      [64, 4],
    ]);
    const values = adapters.exportValues();
    const keys = values.get('blk.1.attn_k.weight') as LoraPairValues;
    const down = values.get('blk.1.ffn_down.weight') as LoraPairValues;
    expect(Math.max(...keys.a.map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(Math.max(...keys.a.map(Math.abs))).toBeGreaterThan(0.9 / 8);
    expect(Math.max(...down.a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect([...keys.b, ...down.b].every((value) => value === 0)).toBe(true);
    expect(adapters.adapter(0, 'attn_k')).toBeUndefined();
    expect(adapters.adapter(1, 'attn_q')).toBeUndefined();
    expect(adapters.adapter(1, 'attn_k')?.scale).toBe(2);
    adapters.dispose();
  });

  it('hands its pairs to writeLoraAdapter as PEFT lays them out: A rank × inputs, B outputs × rank', () => {
    const a = Float32Array.from({ length: 4 * 64 }, (_, index) => index / 256);
    const b = Float32Array.from({ length: 32 * 4 }, (_, index) => -index / 128);
    const down = { a: new Float32Array(4 * 128).fill(0.5), b: new Float32Array(64 * 4).fill(-0.25) };
    const adapters = LoraAdapters.fromValues(
      config,
      settings,
      new Map([
        ['blk.1.attn_k.weight', { a, b }],
        ['blk.1.ffn_down.weight', down],
      ]),
    );
    const file = adapters.adapterFile('twin');
    expect(file).toEqual({
      architecture: 'llama',
      rank: 4,
      alpha: 8,
      name: 'twin',
      pairs: [
        { target: { layer: 1, projection: 'attn_k' }, inputs: 64, outputs: 32, a, b },
        { target: { layer: 1, projection: 'ffn_down' }, inputs: 128, outputs: 64, a: down.a, b: down.b },
      ],
    });
    adapters.dispose();
  });

  it('refuses values that do not fit the settings and settings llama.cpp would read otherwise', () => {
    const pair = { a: new Float32Array(4 * 64), b: new Float32Array(32 * 4) };
    expect(() => LoraAdapters.fromValues(config, settings, new Map([['blk.1.attn_k.weight', pair]]))).toThrow(
      new ValidationError('LoRA values for blk.1.ffn_down.weight are missing'),
    );
    expect(() =>
      LoraAdapters.fromValues(
        config,
        { ...settings, targets: ['attn_k'] },
        new Map([['blk.1.attn_k.weight', { a: pair.a, b: new Float32Array(3) }]]),
      ),
    ).toThrow('LoRA values for blk.1.attn_k.weight have 256 and 3 values; rank 4 needs 256 and 128');
    expect(() =>
      LoraAdapters.fromValues(
        config,
        { ...settings, targets: ['attn_k'] },
        new Map([
          ['blk.1.attn_k.weight', pair],
          ['blk.0.attn_k.weight', pair],
        ]),
      ),
    ).toThrow('LoRA values for projections the settings do not adapt: blk.0.attn_k.weight');
    expect(() =>
      LoraAdapters.create(config, { rank: 0, alpha: 0, targets: [], layers: [2] }, createSeededRandom(1)),
    ).toThrow(
      new ValidationError(
        'invalid LoRA settings: rank 0 is not a positive integer; alpha 0 must be positive (llama.cpp reads 0 as a scale of 1); no projection is targeted; layer 2 is not one of the model’s 2',
      ),
    );
    expect(() =>
      LoraAdapters.create(
        config,
        { rank: 2, alpha: 4, targets: ['attn_q'], layers: [] },
        createSeededRandom(1),
      ),
    ).toThrow(new ValidationError('invalid LoRA settings: no layer is adapted'));
  });
});
