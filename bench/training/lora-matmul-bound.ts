import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../../training/backends/lora/llama-config.ts';
import { llamaProjections, projectionShape } from '../../training/backends/lora/llama-tensors.ts';

/** A product [m×k]·[k×n] done `count` times per step. */
type Product = { label: string; m: number; k: number; n: number; count: number };

/** What the matmuls of one step cost at the raw rate: the least time any implementation could take. */
export type MatmulBound = { flops: number; seconds: number; gflops: number; tokensPerSecond: number };

/**
 * The dense products of one LoRA training step on a row of `length` tokens with `answers` scored
 * positions, `adaptedFrom` the first layer with adapters (layers below it need no backward pass):
 * - every projection forward as the model does it, W [out×in] · Xᵀ [in×T], in every layer;
 * - its input gradient dY [T×out] · W [out×in], in the adapted layers (nothing is learned below);
 * - attention per key/value head (its g query heads stacked): scores [gT×d]·[d×T] and output
 *   [gT×T]·[T×d] forward, and the four products of their gradients (dV, dP, dQ, dK) in adapted layers;
 * - the tied head [A×576]·[576×V] on the answer positions and its input gradient.
 * The LoRA products (rank 8: ~2% of these FLOPs) and the backward pass's recomputation of the
 * attention scores are left out, so the bound is, if anything, optimistic.
 */
export function stepProducts(
  config: LlamaConfig,
  length: number,
  answers: number,
  adaptedFrom = 0,
): Product[] {
  const layers = config.blockCount;
  const adapted = layers - adaptedFrom;
  const products: Product[] = [];
  for (const projection of llamaProjections) {
    const { inputs, outputs } = projectionShape(config, projection);
    products.push({ label: `${projection} forward`, m: outputs, k: inputs, n: length, count: layers });
    products.push({ label: `${projection} dX`, m: length, k: outputs, n: inputs, count: adapted });
  }
  const group = config.headCount / config.headCountKv;
  const width = config.headDimension;
  const perLayer = config.headCountKv;
  products.push({
    label: 'attention scores',
    m: group * length,
    k: width,
    n: length,
    count: layers * perLayer,
  });
  products.push({
    label: 'attention output',
    m: group * length,
    k: length,
    n: width,
    count: layers * perLayer,
  });
  // dV = Pᵀ·dO, dP = dO·Vᵀ, dQ = dS·K, dK = dSᵀ·Q.
  products.push({ label: 'attention dV', m: length, k: group * length, n: width, count: adapted * perLayer });
  products.push({ label: 'attention dP', m: group * length, k: width, n: length, count: adapted * perLayer });
  products.push({ label: 'attention dQ', m: group * length, k: length, n: width, count: adapted * perLayer });
  products.push({ label: 'attention dK', m: length, k: group * length, n: width, count: adapted * perLayer });
  const vocabulary = config.vocabularySize;
  const width0 = config.embeddingLength;
  products.push({ label: 'head forward', m: answers, k: width0, n: vocabulary, count: 1 });
  products.push({ label: 'head dX', m: answers, k: vocabulary, n: width0, count: 1 });
  return products;
}

/**
 * Times each distinct product of `products` alone on tfjs (best of a few runs, operands made once:
 * XNNPACK packs a right operand once and reuses it, its fastest case) and adds them up.
 */
export function matmulBound(products: readonly Product[], tokens: number): MatmulBound {
  const timings = new Map<string, number>();
  let flops = 0;
  let seconds = 0;
  for (const { m, k, n, count } of products) {
    const key = `${m}x${k}x${n}`;
    let milliseconds = timings.get(key);
    if (milliseconds === undefined) {
      const a = tf.randomNormal([m, k]) as tf.Tensor2D;
      const b = tf.randomNormal([k, n]) as tf.Tensor2D;
      milliseconds = bestOf(() => tf.matMul(a, b).dispose());
      tf.dispose([a, b]);
      timings.set(key, milliseconds);
    }
    flops += 2 * m * k * n * count;
    seconds += (milliseconds / 1000) * count;
  }
  return { flops, seconds, gflops: flops / seconds / 1e9, tokensPerSecond: tokens / seconds };
}

/** Fastest of a few runs after a warm-up: other processes only ever make a run slower. */
export function bestOf(work: () => void, runs = 4): number {
  work();
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}
