import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../../core/errors.ts';
import type { SeededRandom } from '../../../core/local-model/seeded-random.ts';
import type { LoraAdapter } from '../../../core/models/gguf/write-lora-adapter.ts';
import type { LinearAdapter } from './frozen-ops.ts';
import type { LlamaConfig } from './llama-config.ts';
import {
  type LlamaProjection,
  llamaProjections,
  type ProjectionShape,
  projectionShape,
  projectionTensorName,
} from './llama-tensors.ts';

/*
 * llama.cpp's LoRA convention, checked against its source (src/llama-adapter.cpp,
 * src/llama-adapter.h, src/llama-graph.cpp build_lora_mm, convert_lora_to_gguf.py):
 * - an adapter GGUF has `general.type = adapter`, `adapter.type = lora`, `general.architecture`
 *   equal to the model's, and `adapter.lora.alpha` (float32);
 * - for a base tensor `blk.N.attn_q.weight` it holds `blk.N.attn_q.weight.lora_a` with GGUF
 *   dimensions [n_in, r] and `….lora_b` with [r, n_out]; the loader refuses a pair whose a.ne[0]
 *   is not the base's n_in, whose b.ne[1] is not its n_out, or whose a.ne[1] ≠ b.ne[0]. In row-major
 *   terms A is r rows of n_in and B is n_out rows of r: PEFT's lora_A.weight and lora_B.weight,
 *   written unchanged by the converter (only token_embd's A is transposed, and we adapt no
 *   embedding);
 * - the graph computes W·x + scale·B·(A·x) with scale = alpha / r, r read from B (b.ne[0]), times
 *   the adapter's user scale (1 by default); alpha = 0 means a scale of 1, not 0, so we require
 *   alpha > 0 rather than disagree.
 * The variables below hold A and B in exactly that row-major layout, so an adapter is written by
 * copying them out; `frozenLinear` transposes these small matrices as it needs. They are trained
 * against the GGUF's own weights, whose Q and K rows llama's converter has already permuted for
 * llama.cpp's rotary pairing, so no permutation is due when writing them (the converter applies
 * that permutation to a Hugging Face adapter's B). llama-cpp-parity.test.ts checks all of this end
 * to end: an adapter written from these variables and loaded by llama.cpp gives the same
 * next-token distributions as LlamaModel with them.
 */

/** Which projections get an adapter, its rank and alpha (the update is scaled by alpha / rank). */
export type LoraSettings = {
  rank: number;
  alpha: number;
  targets: readonly LlamaProjection[];
  /** Layers that get adapters; all of them when omitted. */
  layers?: readonly number[];
};

/** One adapter pair as llama.cpp stores it: A is rank rows of `inputs`, B is `outputs` rows of rank. */
export type LoraPairValues = { a: Float32Array; b: Float32Array };

type Pair = { a: tf.Variable<tf.Rank.R2>; b: tf.Variable<tf.Rank.R2>; shape: ProjectionShape };

/**
 * Trainable low-rank updates for some projections of a llama model: y = W·x + (alpha/r)·B·(A·x).
 * The variables are A and B themselves (see above); everything else stays frozen in LlamaModel.
 */
export class LoraAdapters {
  readonly rank: number;
  readonly alpha: number;
  /** alpha / rank, what llama.cpp multiplies B·(A·x) by. */
  readonly scale: number;
  /** The lowest layer with an adapter: the blocks below it need no gradient (see LlamaModel). */
  readonly firstLayer: number;
  private readonly pairs: Map<string, Pair>;

  private constructor(rank: number, alpha: number, firstLayer: number, pairs: Map<string, Pair>) {
    this.rank = rank;
    this.alpha = alpha;
    this.scale = alpha / rank;
    this.firstLayer = firstLayer;
    this.pairs = pairs;
  }

  /**
   * Fresh adapters as PEFT initialises them: A uniform in ±1/√inputs (Kaiming-uniform with
   * a = √5), B zero, so the adapted model starts exactly equal to the base.
   */
  static create(config: LlamaConfig, settings: LoraSettings, random: SeededRandom): LoraAdapters {
    const values = new Map<string, LoraPairValues>();
    for (const { name, shape } of adaptedProjections(config, settings)) {
      const bound = 1 / Math.sqrt(shape.inputs);
      const a = Float32Array.from(
        { length: settings.rank * shape.inputs },
        () => (2 * random.next() - 1) * bound,
      );
      values.set(name, { a, b: new Float32Array(shape.outputs * settings.rank) });
    }
    return LoraAdapters.fromValues(config, settings, values);
  }

  /** The base tensors `settings` adapt, in layer order: the names `tensorNames` will have. */
  static tensorNamesFor(config: LlamaConfig, settings: LoraSettings): string[] {
    return adaptedProjections(config, settings).map(({ name }) => name);
  }

  /** Adapters from stored values (keyed by base tensor name), checked against the model's shape. */
  static fromValues(
    config: LlamaConfig,
    settings: LoraSettings,
    values: ReadonlyMap<string, LoraPairValues>,
  ): LoraAdapters {
    const projections = adaptedProjections(config, settings);
    const expected = new Set(projections.map(({ name }) => name));
    const unexpected = [...values.keys()].filter((name) => !expected.has(name));
    if (unexpected.length > 0)
      throw new ValidationError(
        `LoRA values for projections the settings do not adapt: ${unexpected.join(', ')}`,
      );
    for (const { name, shape } of projections) {
      const pair = values.get(name);
      if (!pair) throw new ValidationError(`LoRA values for ${name} are missing`);
      if (pair.a.length !== settings.rank * shape.inputs || pair.b.length !== shape.outputs * settings.rank)
        throw new ValidationError(
          `LoRA values for ${name} have ${pair.a.length} and ${pair.b.length} values; rank ${settings.rank} needs ${settings.rank * shape.inputs} and ${shape.outputs * settings.rank}`,
        );
    }
    const pairs = new Map<string, Pair>();
    for (const { name, shape } of projections) {
      const pair = values.get(name) as LoraPairValues;
      // tidy: the variable takes over the data; the tensor it was made from must not linger.
      // Unnamed: tfjs names must be unique in the process, and two adapters may coexist.
      pairs.set(name, {
        shape,
        a: tf.tidy(() => tf.variable(tf.tensor2d(pair.a, [settings.rank, shape.inputs]))),
        b: tf.tidy(() => tf.variable(tf.tensor2d(pair.b, [shape.outputs, settings.rank]))),
      });
    }
    const firstLayer = Math.min(...projections.map(({ layer }) => layer));
    return new LoraAdapters(settings.rank, settings.alpha, firstLayer, pairs);
  }

  /** The trainable variables, A then B for each adapted projection in layer order. */
  get variables(): tf.Variable[] {
    return [...this.pairs.values()].flatMap(({ a, b }) => [a, b]);
  }

  /** Names of the adapted base tensors (`blk.N.attn_q.weight`…). */
  get tensorNames(): string[] {
    return [...this.pairs.keys()];
  }

  /** The adapter of one projection, for `frozenLinear`, or undefined when it has none. */
  adapter(layer: number, projection: LlamaProjection): LinearAdapter | undefined {
    const pair = this.pairs.get(projectionTensorName(layer, projection));
    return pair && { a: pair.a, b: pair.b, scale: this.scale };
  }

  /** A copy of every pair, keyed by base tensor name, in llama.cpp's layout. */
  exportValues(): Map<string, LoraPairValues> {
    return new Map(
      [...this.pairs].map(([name, { a, b }]) => [
        name,
        { a: new Float32Array(a.dataSync()), b: new Float32Array(b.dataSync()) },
      ]),
    );
  }

  /** The adapter as `writeLoraAdapter` writes it for llama.cpp (see the convention above). */
  adapterFile(name?: string): LoraAdapter {
    const values = this.exportValues();
    return {
      architecture: 'llama',
      rank: this.rank,
      alpha: this.alpha,
      ...(name ? { name } : {}),
      pairs: [...this.pairs].map(([tensor, { shape }]) => {
        const [, layer, projection] = /^blk\.(\d+)\.(\w+)\.weight$/.exec(tensor) as RegExpExecArray;
        const pair = values.get(tensor) as LoraPairValues;
        return {
          target: { layer: Number(layer), projection: projection as LlamaProjection },
          inputs: shape.inputs,
          outputs: shape.outputs,
          a: pair.a,
          b: pair.b,
        };
      }),
    };
  }

  dispose(): void {
    for (const { a, b } of this.pairs.values()) {
      a.dispose();
      b.dispose();
    }
  }
}

function adaptedProjections(
  config: LlamaConfig,
  settings: LoraSettings,
): Array<{ name: string; layer: number; shape: ProjectionShape }> {
  const problems: string[] = [];
  if (!Number.isInteger(settings.rank) || settings.rank < 1)
    problems.push(`rank ${settings.rank} is not a positive integer`);
  if (!(settings.alpha > 0))
    problems.push(`alpha ${settings.alpha} must be positive (llama.cpp reads 0 as a scale of 1)`);
  if (settings.targets.length === 0) problems.push('no projection is targeted');
  for (const target of settings.targets)
    if (!llamaProjections.includes(target)) problems.push(`${String(target)} is not a llama projection`);
  const layers = settings.layers ?? Array.from({ length: config.blockCount }, (_, layer) => layer);
  if (layers.length === 0) problems.push('no layer is adapted');
  for (const layer of layers)
    if (!Number.isInteger(layer) || layer < 0 || layer >= config.blockCount)
      problems.push(`layer ${layer} is not one of the model’s ${config.blockCount}`);
  if (problems.length > 0) throw new ValidationError(`invalid LoRA settings: ${problems.join('; ')}`);
  return [...new Set(layers)]
    .sort((first, second) => first - second)
    .flatMap((layer) =>
      llamaProjections
        .filter((projection) => settings.targets.includes(projection))
        .map((projection) => ({
          name: projectionTensorName(layer, projection),
          layer,
          shape: projectionShape(config, projection),
        })),
    );
}
