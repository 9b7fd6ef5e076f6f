import * as tf from '@tensorflow/tfjs';

/*
 * The ops of the llama forward pass, each with one hand-written gradient. Two reasons:
 * - Speed on the wasm backend: only a product without transposed operands runs on XNNPACK's fast
 *   path (17–21 GFLOP/s here, against 1.3–1.8 for a transposed right operand), so every product
 *   here, forward and backward, is written with explicit transposes.
 * - Memory: tfjs's own gradients keep the inputs of every add and multiply until the backward pass
 *   (measured ~50 MB per SmolLM2 block at 256 tokens, 1.6 GB for 30 blocks). These ops keep only
 *   what their backward pass reads.
 * Base weights are captured by the ops, never passed in: LoRA trains nothing of the base, so no
 * gradient of a base weight is asked for (it would be a weight-sized tensor of zeros every step).
 * Every gradient is computed in its own tf.tidy: tfjs calls a custom gradient outside any scope of
 * its own, so all it makes would live until the whole backward pass ended (with SmolLM2 that ran
 * the 4 GB wasm heap out: the weight copies below alone are 540 MB).
 */

type Saver = (tensors: tf.Tensor[]) => void;

/**
 * A LoRA pair on a projection: A [rank, inputs] and B [outputs, rank], with its scale alpha/rank,
 * and, when training with LoRA dropout, the mask [N, inputs] its input is multiplied by (0 for a
 * dropped value, 1/(1 − rate) for a kept one).
 */
export type LinearAdapter = { a: tf.Tensor2D; b: tf.Tensor2D; scale: number; dropout?: tf.Tensor2D };

/**
 * x·Wᵀ for x [N, inputs] and a frozen W [outputs, inputs] (GGUF's layout; llama.cpp's y = W·x),
 * plus scale·((x ⊙ dropout)·Aᵀ)·Bᵀ when an adapter is given, with gradients for x, A and B. The
 * dropout mask reaches the adapter's path only, as PEFT's lora_dropout does
 * (`lora_B(lora_A(dropout(x))) * scaling`): the frozen product always sees all of x.
 *
 * W is the left operand, yᵀ = W·xᵀ: XNNPACK keeps a packed copy of every right operand it has
 * seen until that tensor is disposed, so a weight used on the right would exist twice for the
 * model's life (measured: +200 MB for a 200 MB matrix, nothing on the left). The gradient
 * dx = dy·W needs W on the right: it gets a fresh copy each time, whose packing XNNPACK drops with
 * it, so training does not hold a second copy of the model either. The adapter's small matrices
 * and the activations are transposed explicitly instead.
 */
export function frozenLinear(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  adapter?: LinearAdapter,
  options: { keepPackedGradientWeight?: boolean } = {},
): tf.Tensor2D {
  // `keepPackedGradientWeight` multiplies by W itself in the gradient, so XNNPACK packs it once and
  // keeps that copy for W's life: worth it for the output head (SmolLM2: +113 MB once; dX for 231
  // answer rows 1.4 → 0.9 s, the copy and repacking of a 49,152-row matrix gone from every step).
  const { keepPackedGradientWeight } = options;
  if (!adapter) {
    const frozen = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
      const [input] = inputs as [tf.Tensor2D, Saver];
      return {
        value: tf.transpose(tf.matMul(weight, tf.transpose(input))),
        gradFunc: (dy: tf.Tensor) =>
          tf.tidy(() =>
            tf.matMul(
              dy as tf.Tensor2D,
              keepPackedGradientWeight ? weight : (tf.add(weight, 0) as tf.Tensor2D),
            ),
          ),
      };
    });
    return frozen(x) as tf.Tensor2D;
  }
  const { scale, dropout } = adapter;
  const adapted = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [input, a, b, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, Saver];
    // The adapter runs on the transposed side too, as left products: A·xᵀ reuses XNNPACK's packing
    // of xᵀ from W·xᵀ, B·downᵀ adds into W·xᵀ before the one transpose back, and the gradients
    // below multiply by small right operands only (measured at 256×576→1536: the adapter's
    // forward 1.6 → 0.6 ms, dB 2.1 → 0.4 ms).
    const inputT = tf.transpose(input) as tf.Tensor2D;
    const adapterInputT = dropout ? (tf.mul(inputT, tf.transpose(dropout)) as tf.Tensor2D) : inputT;
    // Scaled at rank width, the narrowest point; llama.cpp scales B·(A·x) (same value, rounded differently).
    const downT = tf.mul(tf.matMul(a, adapterInputT), scale) as tf.Tensor2D;
    // The mask is saved, not captured: it belongs to the caller's scope, gone when gradients run.
    save([adapterInputT, downT, a, b, ...(dropout ? [dropout] : [])]);
    return {
      value: tf.transpose(tf.add(tf.matMul(weight, inputT), tf.matMul(b, downT))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [savedInputT, savedDownT, savedA, savedB, savedDropout] = saved as [
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor2D | undefined,
          ];
          const gradient = dy as tf.Tensor2D;
          // d(down) = dy·B; downᵀ = scale·A·(x ⊙ mask)ᵀ.
          const downGradient = tf.mul(tf.matMul(gradient, savedB), scale) as tf.Tensor2D;
          const throughAdapter = tf.matMul(downGradient, savedA);
          return [
            tf.add(
              tf.matMul(gradient, keepPackedGradientWeight ? weight : (tf.add(weight, 0) as tf.Tensor2D)),
              savedDropout ? tf.mul(throughAdapter, savedDropout) : throughAdapter,
            ),
            // dA = d(down)ᵀ·(x ⊙ mask) and dB = dyᵀ·down, each as the transpose of a product whose
            // right operand is narrow.
            tf.transpose(tf.matMul(savedInputT, downGradient)),
            tf.transpose(tf.matMul(savedDownT, gradient)),
          ];
        }),
    };
  });
  return adapted(x, adapter.a, adapter.b) as tf.Tensor2D;
}

/**
 * RMSNorm over the last axis of x [N, width], times a frozen gain: x / √(mean(x²) + ε) · gain, as
 * llama.cpp's ggml_rms_norm followed by its multiplication by the norm weight. Gradient:
 * dx = r·(g − x̂·mean(g·x̂)) with r = 1/√(mean(x²) + ε), x̂ = x·r and g = dy·gain.
 */
export function rmsNorm(x: tf.Tensor2D, gain: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  const norm = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [input, save] = inputs as [tf.Tensor2D, Saver];
    const inverse = tf.rsqrt(tf.add(tf.mean(tf.square(input), 1, true), epsilon));
    const normalised = tf.mul(input, inverse);
    save([normalised, inverse]);
    return {
      value: tf.mul(normalised, gain),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [savedNormalised, savedInverse] = saved as [tf.Tensor2D, tf.Tensor2D];
          const gradient = tf.mul(dy, gain);
          const projection = tf.mean(tf.mul(gradient, savedNormalised), 1, true);
          return tf.mul(tf.sub(gradient, tf.mul(savedNormalised, projection)), savedInverse);
        }),
    };
  });
  return norm(x) as tf.Tensor2D;
}

/**
 * silu(gate) ⊙ up, llama's feed-forward activation (LLM_FFN_SILU, LLM_FFN_PAR), silu(g) = g·σ(g).
 * Gradient: d(gate) = dy·up·σ(g)·(1 + g·(1 − σ(g))), d(up) = dy·silu(g).
 */
export function swiGlu(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  const activation = tf.customGrad((...inputs: Array<tf.Tensor | Saver>) => {
    const [gateInput, upInput, save] = inputs as [tf.Tensor2D, tf.Tensor2D, Saver];
    save([gateInput, upInput]);
    return {
      value: tf.mul(tf.mul(gateInput, tf.sigmoid(gateInput)), upInput),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [savedGate, savedUp] = saved as [tf.Tensor2D, tf.Tensor2D];
          const sigmoid = tf.sigmoid(savedGate);
          const slope = tf.mul(sigmoid, tf.add(1, tf.mul(savedGate, tf.sub(1, sigmoid))));
          return [tf.mul(tf.mul(dy, savedUp), slope), tf.mul(dy, tf.mul(savedGate, sigmoid))];
        }),
    };
  });
  return activation(gate, up) as tf.Tensor2D;
}
