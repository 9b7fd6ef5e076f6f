import type { LocalModelConfig } from './model-config.ts';
import { createSeededRandom, deriveSeed } from './seeded-random.ts';

/** A weight's name and shape, in the fixed order checkpoints store them. */
export type WeightSpec = { name: string; shape: number[] };

/** Every weight of a config, in the order checkpoints store them. */
export function weightSpecs(config: LocalModelConfig): WeightSpec[] {
  const { vocabSize, contextLength, dModel, layers, ffnHidden, tieEmbeddings } = config;
  const specs: WeightSpec[] = [
    { name: 'token_embedding', shape: [vocabSize, dModel] },
    { name: 'position_embedding', shape: [contextLength, dModel] },
  ];
  for (let layer = 0; layer < layers; layer++) {
    const prefix = `layers.${layer}`;
    specs.push(
      { name: `${prefix}.ln1.gamma`, shape: [dModel] },
      { name: `${prefix}.ln1.beta`, shape: [dModel] },
      { name: `${prefix}.attention.qkv.weight`, shape: [dModel, 3 * dModel] },
      { name: `${prefix}.attention.qkv.bias`, shape: [3 * dModel] },
      { name: `${prefix}.attention.output.weight`, shape: [dModel, dModel] },
      { name: `${prefix}.attention.output.bias`, shape: [dModel] },
      { name: `${prefix}.ln2.gamma`, shape: [dModel] },
      { name: `${prefix}.ln2.beta`, shape: [dModel] },
      { name: `${prefix}.mlp.up.weight`, shape: [dModel, ffnHidden] },
      { name: `${prefix}.mlp.up.bias`, shape: [ffnHidden] },
      { name: `${prefix}.mlp.down.weight`, shape: [ffnHidden, dModel] },
      { name: `${prefix}.mlp.down.bias`, shape: [dModel] },
    );
  }
  specs.push({ name: 'final_ln.gamma', shape: [dModel] }, { name: 'final_ln.beta', shape: [dModel] });
  if (!tieEmbeddings) specs.push({ name: 'head.weight', shape: [dModel, vocabSize] });
  return specs;
}

/**
 * GPT-2's initialisation: N(0, 0.02) for matrices and embeddings, residual output projections
 * scaled by 1/√(2·layers) so the residual stream does not grow with depth, LayerNorm at identity,
 * biases zero. Each weight draws from its own seeded stream.
 */
export function initialWeights(config: LocalModelConfig): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  const residualScale = 1 / Math.sqrt(2 * config.layers);
  for (const spec of weightSpecs(config)) {
    const size = spec.shape.reduce((product, dimension) => product * dimension, 1);
    const data = new Float32Array(size);
    if (spec.name.endsWith('.gamma')) data.fill(1);
    else if (!spec.name.endsWith('.bias') && !spec.name.endsWith('.beta')) {
      const random = createSeededRandom(deriveSeed(config.seed, spec.name));
      const residual = spec.name.endsWith('attention.output.weight') || spec.name.endsWith('mlp.down.weight');
      const deviation = 0.02 * (residual ? residualScale : 1);
      for (let index = 0; index < size; index++) data[index] = random.normal() * deviation;
    }
    values.set(spec.name, data);
  }
  return values;
}
