import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import { decodeLoraCheckpoint, encodeLoraCheckpoint, type LoraCheckpoint } from './lora-checkpoint.ts';

const checkpoint: LoraCheckpoint = {
  fingerprint: 'f'.repeat(64),
  step: 20,
  trainTokens: 5120,
  trainMilliseconds: 81_000,
  lossCurve: [
    { step: 0, trainLoss: 3.1, validationLoss: 3.4 },
    { step: 10, trainLoss: 2.7, validationLoss: null },
  ],
  recentLosses: [2.5, 2.6],
  optimizerSteps: 20,
  tensors: new Map([
    ['blk.0.attn_q.weight.lora_a', Float32Array.of(1, -2, 0.5)],
    ['blk.0.attn_q.weight.lora_b', new Float32Array(0)],
    ['blk.0.attn_q.weight.lora_a.first', Float32Array.of(1e-8)],
  ]),
};

describe('LoRA checkpoints', () => {
  it('decode to exactly what was encoded, tensors in order', () => {
    const decoded = decodeLoraCheckpoint(encodeLoraCheckpoint(checkpoint), 'c');
    expect(decoded).toEqual(checkpoint);
    expect([...decoded.tensors.keys()]).toEqual([...checkpoint.tensors.keys()]);
  });

  it('refuse other files, cut files and broken headers with the reason', () => {
    const bytes = encodeLoraCheckpoint(checkpoint);
    expect(() => decodeLoraCheckpoint(new TextEncoder().encode('GGUF...'), 'x')).toThrow(
      new ValidationError('LoRA checkpoint x is unusable: it is not a LoRA checkpoint'),
    );
    expect(() => decodeLoraCheckpoint(bytes.slice(0, bytes.length - 4), 'x')).toThrow(
      /it holds \d+ bytes, its header describes \d+/,
    );
    expect(() => decodeLoraCheckpoint(bytes.slice(0, 20), 'x')).toThrow('it ends inside its header');
    const broken = bytes.slice();
    broken[14] = '['.charCodeAt(0);
    expect(() => decodeLoraCheckpoint(broken, 'x')).toThrow(/its header does not parse/);
  });
});
