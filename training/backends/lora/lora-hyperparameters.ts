import { z } from 'zod';
import { ValidationError } from '../../../core/errors.ts';
import { llamaProjections } from './llama-tensors.ts';

const Projection = z.enum(llamaProjections);

/**
 * Named starting points; keys given beside a preset override it. `demo` is the fine-tune that fits
 * `npm run demo`'s budget: on the sample author, 6 steps of 2 examples on the top 20 of SmolLM2's
 * 30 layers train for about 95 s on 2 cores and lower the held-out answers' perplexity by about
 * 13% (all 30 layers: 111 s and 14%; the top 15: 84 s and 10%).
 */
export const loraPresets = {
  demo: { steps: 6, batchSize: 2, learningRate: 0.002, maxSequenceTokens: 256, layers: { top: 20 } },
} as const;

const PresetName = z.enum(Object.keys(loraPresets) as [keyof typeof loraPresets]);

const HyperparameterInput = z
  .object({
    preset: PresetName.optional(),
    /** Adapter rank r: the update B·A has rank r. */
    rank: z.number().int().min(1).max(256).default(16),
    /** The update is scaled by alpha / rank (llama.cpp reads alpha from the adapter file). */
    alpha: z.number().gt(0).max(1024).default(32),
    /** Dropout on the adapter's input while training (PEFT's lora_dropout). */
    dropout: z.number().min(0).max(0.5).default(0.05),
    /** Projections that get an adapter, in every adapted layer. */
    targets: z
      .array(Projection)
      .min(1)
      .default(['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down']),
    /**
     * Adapted layers: all of them, or the last N (`top: N`): the frozen layers below the first
     * adapted one are never back-propagated through.
     */
    layers: z.union([z.literal('all'), z.object({ top: z.number().int().min(1) }).strict()]).default('all'),
    /** Optimizer steps. */
    steps: z.number().int().min(1).max(1_000_000).default(60),
    /** Training examples per optimizer step (their gradients are accumulated). */
    batchSize: z.number().int().min(1).max(1024).default(4),
    learningRate: z.number().gt(0).max(1).default(0.001),
    warmupSteps: z.number().int().min(0).optional(),
    schedule: z.enum(['cosine', 'linear', 'constant']).default('cosine'),
    minLearningRateRatio: z.number().min(0).max(1).default(0.1),
    weightDecay: z.number().min(0).max(1).default(0),
    /** Gradients are scaled down when their global L2 norm exceeds this. */
    gradientClip: z.number().gt(0).default(1),
    /** Tokens of one example (prompt and answer) beyond which its answer is cut. */
    maxSequenceTokens: z.number().int().min(32).max(8192).default(384),
    /** Validation loss (and a loss-curve point) every this many steps, and after the last. */
    evalEvery: z.number().int().min(1).default(10),
    /** Validation: the test split (`test`), a holdout of train (`holdout`), or none. */
    validation: z.enum(['test', 'holdout', 'none']).default('test'),
    validationFraction: z.number().gt(0).max(0.5).default(0.1),
    /** Validation examples evaluated per check, to bound its cost. */
    maxValidationRows: z.number().int().min(1).max(10_000).default(8),
    /**
     * Memory for the training rows' hidden states below the first adapted layer, kept across
     * epochs so that a row seen again runs only the adapted blocks (see HiddenStateCache); 0 turns
     * it off. Used only when the lowest layers are frozen (`layers: { top: N }`).
     */
    hiddenCacheMegabytes: z.number().min(0).max(1_048_576).default(512),
    /** A resumable checkpoint every this many steps (0: none). */
    checkpointEvery: z.number().int().min(0).default(10),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
  })
  .strict();

export type LoraHyperparameters = Omit<z.infer<typeof HyperparameterInput>, 'warmupSteps'> & {
  warmupSteps: number;
};

/**
 * Validates LoRA hyper-parameters and fills in defaults. Throws one ValidationError listing every
 * problem (unknown keys, out-of-range values, a warmup as long as training).
 */
export function parseLoraHyperparameters(input: Record<string, unknown>): LoraHyperparameters {
  const preset = PresetName.safeParse(input.preset);
  const parsed = HyperparameterInput.safeParse(
    preset.success ? { ...loraPresets[preset.data], ...input } : input,
  );
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'hyperparameters'}: ${issue.message}`);
  if (parsed.success) {
    const { steps, warmupSteps } = parsed.data;
    if (warmupSteps !== undefined && warmupSteps >= steps)
      problems.push(`warmupSteps: ${warmupSteps} must be smaller than steps (${steps})`);
  }
  if (problems.length > 0 || !parsed.success)
    throw new ValidationError(
      `invalid hyper-parameters for the lora backend:\n${problems.map((line) => `  - ${line}`).join('\n')}`,
    );
  const value = parsed.data;
  return {
    ...value,
    targets: [...new Set(value.targets)],
    // A tenth of training unless asked: LoRA starts from B = 0, so a short warmup is enough.
    warmupSteps: value.warmupSteps ?? Math.floor(value.steps / 10),
  };
}

/** The adapted layers of a model with `blockCount` blocks. */
export function adaptedLayers(layers: LoraHyperparameters['layers'], blockCount: number): number[] {
  const from = layers === 'all' ? 0 : Math.max(0, blockCount - layers.top);
  return Array.from({ length: blockCount - from }, (_, index) => from + index);
}
