import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../../core/errors.ts';
import { gatherRows } from '../../../core/local-model/fast-ops.ts';
import { frozenLinear, rmsNorm, swiGlu } from './frozen-ops.ts';
import { type AttentionSegment, causalGroupedAttention, stackedCausalMask } from './grouped-attention.ts';
import type { LlamaConfig } from './llama-config.ts';
import {
  type LlamaProjection,
  llamaProjections,
  llamaTensorDimensions,
  projectionTensorName,
} from './llama-tensors.ts';
import { logSoftmax } from './log-softmax.ts';
import type { LoraAdapters } from './lora-adapters.ts';
import { dropoutMask, type LoraDropout } from './lora-dropout.ts';
import { applyRotary, type RotaryTensors, rotaryTensors } from './rotary-embedding.ts';

/** A tensor's GGUF dimensions (fastest-varying first) and its values, dequantised to float32. */
export type LlamaTensor = { dimensions: readonly number[]; values: Float32Array };

/**
 * Where the weights come from: the names a GGUF file holds and a reader for one at a time, so that
 * only one tensor is ever held outside tfjs while a model loads.
 */
export type LlamaTensorSource = {
  names: readonly string[];
  read(name: string): LlamaTensor | Promise<LlamaTensor>;
};

/** What a forward call may be asked besides its tokens (see `LlamaModel.logits`). */
export type LogitsOptions = {
  /** Adapters to apply, and the only variables with a gradient. */
  lora?: LoraAdapters;
  /** The rows whose logits are wanted, in order; every row when omitted. */
  positions?: ArrayLike<number>;
  /**
   * Lengths of the examples packed end to end in `tokens` (summing to its length): each attends
   * only within itself and its positions restart at 0, so its logits are those it has alone.
   * One example when omitted.
   */
  segments?: ArrayLike<number>;
  /** LoRA dropout, for training steps only (see LoraDropout); none when omitted or rate 0. */
  dropout?: LoraDropout;
  /**
   * Start at block `layer` from `hidden`, the states `hiddenBelow(tokens, layer)` returned (with
   * the same segments), instead of from the tokens: the adapters must all be at `layer` or above.
   */
  from?: { layer: number; hidden: tf.Tensor2D };
};

/** How a model trades memory for speed. */
export type LlamaModelOptions = {
  /**
   * Multiply each block's gradient by its weights themselves rather than by fresh copies, so that
   * XNNPACK packs every weight once and keeps that copy for the model's life: a second copy of the
   * adapted blocks' weights in the wasm heap (SmolLM2: up to 430 MB of its 4 GB) for the copying
   * and repacking saved on every step (see frozenLinear). Measured on SmolLM2, 256-token steps
   * alternated on a loaded machine: 3–6% faster. Off by default: a 512-token step already peaks
   * at 3.2 GB of wasm heap, and with this and one more model loaded it ran out.
   */
  keepPackedGradientWeights?: boolean;
};

type Saver = (tensors: tf.Tensor[]) => void;

type BlockContext = {
  rotary: RotaryTensors;
  attention: AttentionSegment[];
  lora: LoraAdapters | undefined;
  dropout: LoraDropout | undefined;
};

type Block = {
  attentionNorm: tf.Tensor1D;
  feedForwardNorm: tf.Tensor1D;
  /** Each projection's W [outputs, inputs]. */
  projections: Record<LlamaProjection, tf.Tensor2D>;
};

/**
 * A llama-architecture model as llama.cpp runs it (llm_build_llama): token embedding; per block
 * x += Wo·attention(rope(Wq·n), rope(Wk·n), Wv·n) with n = RMSNorm(x), then
 * x += Wdown·(silu(Wgate·m) ⊙ Wup·m) with m = RMSNorm(x); a final RMSNorm and the output head,
 * which is the token embedding when the file has no `output.weight`. Attention is causal,
 * grouped-query (query head h reads key/value head ⌊h / (heads / kvHeads)⌋, as ggml's mul_mat
 * broadcasts) and scaled by `attentionScale`.
 *
 * The base weights are plain tensors, never variables: gradients reach only LoRA adapters passed
 * to a forward call. Each is kept once, in GGUF's own layout (see `frozenLinear` for why that is
 * also the fast one); a tied embedding is one tensor serving as both lookup table and head.
 */
export class LlamaModel {
  readonly config: LlamaConfig;
  private readonly embedding: tf.Tensor2D;
  private readonly head: tf.Tensor2D;
  private readonly outputNorm: tf.Tensor1D;
  private readonly blocks: Block[];
  private readonly keepPackedGradientWeights: boolean;

  private constructor(
    config: LlamaConfig,
    embedding: tf.Tensor2D,
    head: tf.Tensor2D,
    outputNorm: tf.Tensor1D,
    blocks: Block[],
    keepPackedGradientWeights: boolean,
  ) {
    this.config = config;
    this.embedding = embedding;
    this.head = head;
    this.outputNorm = outputNorm;
    this.blocks = blocks;
    this.keepPackedGradientWeights = keepPackedGradientWeights;
  }

  /**
   * Loads every weight the config calls for from `source`, checking its dimensions, and refuses a
   * source holding tensors this forward pass would ignore (biases, rope frequency factors,
   * experts): ignoring them would silently compute a different model from llama.cpp's.
   */
  static async load(
    config: LlamaConfig,
    source: LlamaTensorSource,
    options: LlamaModelOptions = {},
  ): Promise<LlamaModel> {
    const expected = llamaTensorDimensions(config);
    const unexpected = source.names.filter((name) => !expected.has(name));
    if (unexpected.length > 0)
      throw new ValidationError(
        `the model has tensors this llama forward pass does not implement: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', …' : ''}`,
      );
    const present = new Set(source.names);
    const missing = [...expected.keys()].filter((name) => name !== 'output.weight' && !present.has(name));
    if (missing.length > 0)
      throw new ValidationError(
        `the model lacks tensors: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`,
      );

    const loaded: tf.Tensor[] = [];
    const read = async (name: string): Promise<Float32Array> => {
      const tensor = await source.read(name);
      const dimensions = expected.get(name) as number[];
      if (tensor.dimensions.join() !== dimensions.join())
        throw new ValidationError(
          `tensor ${name} has dimensions [${tensor.dimensions.join(', ')}], the config needs [${dimensions.join(', ')}]`,
        );
      return tensor.values;
    };
    const vector = async (name: string) => {
      const tensor = tf.tensor1d(await read(name));
      loaded.push(tensor);
      return tensor;
    };
    // GGUF's [inputs, outputs] matrix is `outputs` rows of `inputs`: W in y = W·x, kept as it is.
    const matrix = async (name: string) => {
      const [inputs, outputs] = expected.get(name) as [number, number];
      const tensor = tf.tensor2d(await read(name), [outputs, inputs]);
      loaded.push(tensor);
      return tensor;
    };
    try {
      const embedding = await matrix('token_embd.weight');
      const head = present.has('output.weight') ? await matrix('output.weight') : embedding;
      const outputNorm = await vector('output_norm.weight');
      const blocks: Block[] = [];
      for (let layer = 0; layer < config.blockCount; layer++) {
        const projections = {} as Record<LlamaProjection, tf.Tensor2D>;
        for (const projection of llamaProjections)
          projections[projection] = await matrix(projectionTensorName(layer, projection));
        blocks.push({
          attentionNorm: await vector(`blk.${layer}.attn_norm.weight`),
          feedForwardNorm: await vector(`blk.${layer}.ffn_norm.weight`),
          projections,
        });
      }
      return new LlamaModel(
        config,
        embedding,
        head,
        outputNorm,
        blocks,
        options.keepPackedGradientWeights ?? false,
      );
    } catch (error) {
      for (const tensor of loaded) tensor.dispose();
      throw error;
    }
  }

  /**
   * Logits [positions.length, vocabulary] after the given positions of `tokens` (all positions
   * when omitted). Only the asked rows go through the output head: SmolLM2's logits for 256 tokens
   * are 50 MB, as is their gradient, where a trainer's loss needs only the answer's rows (the time
   * saved is small, ~5% of a forward pass). Call inside tf.variableGrads (or tf.grad) with `lora`
   * to train its adapters; nothing else has a gradient. The blocks below the first adapted one run
   * without recording anything for the backward pass (they need none), or are skipped with `from`.
   */
  logits(tokens: ArrayLike<number>, options: LogitsOptions = {}): tf.Tensor2D {
    const ids = this.checkTokens(tokens);
    const positions =
      options.positions === undefined ? undefined : this.checkPositions(options.positions, ids.length);
    const segments = this.checkSegments(options.segments, ids.length);
    const { lora, from, dropout } = options;
    if (from) {
      if (!Number.isInteger(from.layer) || from.layer < 0 || from.layer > this.blocks.length)
        throw new ValidationError(`layer ${from.layer} is not one of the model’s 0..${this.blocks.length}`);
      if (lora && lora.firstLayer < from.layer)
        throw new ValidationError(
          `the adapters start at layer ${lora.firstLayer}, below the cached hidden states of layer ${from.layer}`,
        );
      if (from.hidden.shape.join() !== [ids.length, this.config.embeddingLength].join())
        throw new ValidationError(
          `cached hidden states are [${from.hidden.shape.join(', ')}], the tokens need [${ids.length}, ${this.config.embeddingLength}]`,
        );
    }
    if (dropout && !(dropout.rate >= 0 && dropout.rate < 1))
      throw new ValidationError(`LoRA dropout rate ${dropout.rate} is not in [0, 1)`);
    return tf.tidy(() => {
      const context = this.context(segments, lora, dropout?.rate ? dropout : undefined);
      const start = from ? { layer: from.layer, hidden: from.hidden } : { layer: 0, hidden: this.embed(ids) };
      const hidden = this.blocksFrom(start.layer, start.hidden, context, lora?.firstLayer);
      const normed = rmsNorm(hidden, this.outputNorm, this.config.rmsEpsilon);
      const rows = positions ? gatherRows(normed, tf.tensor1d(positions, 'int32')) : normed;
      return frozenLinear(rows, this.head, undefined, { keepPackedGradientWeight: true });
    });
  }

  /**
   * The hidden states [N, width] entering block `layer` (`layer` = 0: the token embeddings), for
   * `logits(tokens, { from: { layer, hidden } })`: when the adapters start at `layer`, the blocks
   * below give the same states every epoch, so a trainer may compute them once per row and keep
   * them (2.3 KB per token for SmolLM2; `dataSync` them out of the wasm heap for many rows).
   * Computed without any gradient; `segments` as for `logits`.
   */
  hiddenBelow(
    tokens: ArrayLike<number>,
    layer: number,
    options: { segments?: ArrayLike<number> } = {},
  ): tf.Tensor2D {
    const ids = this.checkTokens(tokens);
    if (!Number.isInteger(layer) || layer < 0 || layer > this.blocks.length)
      throw new ValidationError(`layer ${layer} is not one of the model’s 0..${this.blocks.length}`);
    const segments = this.checkSegments(options.segments, ids.length);
    return tf.tidy(() => {
      const context = this.context(segments, undefined, undefined);
      return this.frozenBlocks(0, layer, this.embed(ids), context);
    });
  }

  /** log p(next token | tokens) over the vocabulary, in float64 (see logSoftmax). */
  nextTokenLogProbabilities(tokens: ArrayLike<number>, lora?: LoraAdapters): Float64Array {
    const logits = this.logits(tokens, { positions: [tokens.length - 1], ...(lora ? { lora } : {}) });
    try {
      return logSoftmax(logits.dataSync() as Float32Array);
    } finally {
      logits.dispose();
    }
  }

  dispose(): void {
    this.embedding.dispose();
    if (this.head !== this.embedding) this.head.dispose();
    this.outputNorm.dispose();
    for (const block of this.blocks) {
      block.attentionNorm.dispose();
      block.feedForwardNorm.dispose();
      for (const weight of Object.values(block.projections)) weight.dispose();
    }
  }

  private embed(ids: Int32Array): tf.Tensor2D {
    return tf.gather(this.embedding, tf.tensor1d(ids, 'int32')) as tf.Tensor2D;
  }

  /** What every block of one call shares: rotation tables, masks, adapters and dropout. */
  private context(
    segments: readonly number[],
    lora: LoraAdapters | undefined,
    dropout: LoraDropout | undefined,
  ): BlockContext {
    const { config } = this;
    const group = config.headCount / config.headCountKv;
    const masks = new Map<number, tf.Tensor2D>();
    const attention: AttentionSegment[] = [];
    let start = 0;
    for (const length of segments) {
      let mask = masks.get(length);
      if (!mask) {
        mask = tf.tensor2d(stackedCausalMask(length, group), [group * length, length]);
        masks.set(length, mask);
      }
      attention.push({ start, mask });
      start += length;
    }
    // Each packed example's positions restart at 0, as they would were it alone.
    const positions = segments.flatMap((length) => Array.from({ length }, (_, position) => position));
    return { rotary: rotaryTensors(config, positions), attention, lora, dropout };
  }

  /**
   * Blocks from `layer` up, then nothing else: those below `frozenBelow` (the first adapted layer)
   * through `frozenBlocks`, the rest recorded for the backward pass. Disposes `hidden` unless it
   * is the caller's (`layer` > 0 with `from`): the caller owns its cache.
   */
  private blocksFrom(
    layer: number,
    hidden: tf.Tensor2D,
    context: BlockContext,
    frozenBelow = this.blocks.length,
  ): tf.Tensor2D {
    let x = hidden;
    let next = layer;
    if (next < frozenBelow) {
      x = this.frozenBlocks(next, frozenBelow, x, context);
      next = frozenBelow;
    }
    for (; next < this.blocks.length; next++) {
      const input = x;
      const current = next;
      // One scope per block: without a gradient tape its intermediates go as soon as it ends
      // (kept to the end of the pass they took ~50 MB per SmolLM2 block at 256 tokens); with one,
      // the tape keeps what the backward pass needs.
      x = tf.tidy(() => this.block(input, current, context));
      if (input !== hidden) input.dispose();
    }
    return x;
  }

  /**
   * Blocks `from` to `to` − 1 with no adapters, run inside a custom op so that tfjs records none of
   * their ops on a gradient tape (it records only outside kernels): nothing below the first adapted
   * layer needs a gradient, and recorded they would keep every block's saved tensors to the end.
   */
  private frozenBlocks(from: number, to: number, hidden: tf.Tensor2D, context: BlockContext): tf.Tensor2D {
    const frozenContext: BlockContext = { ...context, lora: undefined, dropout: undefined };
    const run = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
      let x = inputs[0] as tf.Tensor2D;
      for (let layer = from; layer < to; layer++) {
        const input = x;
        x = tf.tidy(() => this.block(input, layer, frozenContext));
        if (input !== inputs[0]) input.dispose();
      }
      // A copy when no block ran: a custom op's output must be a new tensor.
      return { value: x === inputs[0] ? tf.clone(x) : x, gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
    });
    return run(hidden) as tf.Tensor2D;
  }

  private block(x: tf.Tensor2D, layer: number, context: BlockContext): tf.Tensor2D {
    const { headCount, headCountKv, headDimension, attentionScale, rmsEpsilon } = this.config;
    const { rotary, attention, lora, dropout } = context;
    const length = x.shape[0];
    const block = this.blocks[layer] as Block;
    const project = (input: tf.Tensor2D, projection: LlamaProjection) => {
      const adapter = lora?.adapter(layer, projection);
      const dropped =
        adapter && dropout
          ? {
              ...adapter,
              dropout: dropoutMask(input.shape, dropout, projectionTensorName(layer, projection)),
            }
          : adapter;
      return frozenLinear(input, block.projections[projection], dropped, {
        keepPackedGradientWeight: this.keepPackedGradientWeights,
      });
    };
    const normed = rmsNorm(x, block.attentionNorm, rmsEpsilon);
    const heads = (projection: LlamaProjection, count: number) =>
      tf.reshape(project(normed, projection), [length, count, headDimension]) as tf.Tensor3D;
    const attended = causalGroupedAttention(
      applyRotary(heads('attn_q', headCount), rotary),
      applyRotary(heads('attn_k', headCountKv), rotary),
      heads('attn_v', headCountKv),
      attentionScale,
      attention,
    );
    const afterAttention = tf.add(x, project(attended, 'attn_output')) as tf.Tensor2D;
    const gateInput = rmsNorm(afterAttention, block.feedForwardNorm, rmsEpsilon);
    const gated = swiGlu(project(gateInput, 'ffn_gate'), project(gateInput, 'ffn_up'));
    return tf.add(afterAttention, project(gated, 'ffn_down'));
  }

  private checkTokens(tokens: ArrayLike<number>): Int32Array {
    const { vocabularySize, contextLength } = this.config;
    if (tokens.length === 0 || tokens.length > contextLength)
      throw new ValidationError(`need 1 to ${contextLength} tokens, got ${tokens.length}`);
    const ids = Int32Array.from(tokens);
    for (let index = 0; index < ids.length; index++) {
      const id = ids[index] as number;
      if (id !== tokens[index] || id < 0 || id >= vocabularySize)
        throw new ValidationError(
          `token ${tokens[index]} at ${index} is not in the ${vocabularySize}-token vocabulary`,
        );
    }
    return ids;
  }

  /** The lengths of the packed examples: all of `tokens` as one when none are given. */
  private checkSegments(segments: ArrayLike<number> | undefined, length: number): number[] {
    if (segments === undefined) return [length];
    const lengths = Array.from(segments);
    if (
      lengths.length === 0 ||
      lengths.some((size) => !Number.isInteger(size) || size < 1) ||
      lengths.reduce((sum, size) => sum + size, 0) !== length
    )
      throw new ValidationError(
        `segments [${lengths.join(', ')}] are not positive lengths adding up to the ${length} tokens`,
      );
    return lengths;
  }

  private checkPositions(positions: ArrayLike<number>, length: number): Int32Array {
    const ids = Int32Array.from(positions);
    for (let index = 0; index < ids.length; index++)
      if (ids[index] !== positions[index] || (ids[index] as number) < 0 || (ids[index] as number) >= length)
        throw new ValidationError(`position ${positions[index]} is outside the ${length} tokens`);
    return ids;
  }
}
