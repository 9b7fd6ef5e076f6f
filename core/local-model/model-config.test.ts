import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import {
  countParameters,
  localModelPresets,
  parseLocalModelConfig,
  trainingFlopsPerToken,
} from './model-config.ts';
import { weightSpecs } from './weight-specs.ts';

describe('LocalModelConfig', () => {
  it('has valid presets, ci much smaller than demo', () => {
    for (const preset of Object.values(localModelPresets))
      expect(parseLocalModelConfig(preset)).toEqual(preset);
    expect(countParameters(localModelPresets.ci) * 10).toBeLessThan(countParameters(localModelPresets.demo));
    expect(trainingFlopsPerToken(localModelPresets.ci)).toBeLessThan(
      trainingFlopsPerToken(localModelPresets.demo),
    );
  });

  it('lists every problem in one error, cross-field ones included', () => {
    const attempt = () =>
      parseLocalModelConfig({
        ...localModelPresets.ci,
        dModel: 30,
        heads: 4,
        layers: 0,
        dropout: 0.9,
        extra: 1,
      });
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/layers/);
      expect(message).toMatch(/dropout/);
      expect(message).toMatch(/dModel: 30 is not divisible by heads \(4\)/);
    }
  });

  it('counts parameters as the model allocates them', () => {
    for (const config of [
      localModelPresets.ci,
      { ...localModelPresets.ci, tieEmbeddings: false, layers: 2 },
    ]) {
      const total = weightSpecs(config).reduce(
        (sum, spec) => sum + spec.shape.reduce((product, dimension) => product * dimension, 1),
        0,
      );
      expect(countParameters(config)).toBe(total);
    }
  });
});
