import { z } from 'zod';
import { ValidationError } from '../../../core/errors.ts';
import {
  type LocalModelConfig,
  LocalModelPreset,
  localModelCrossFieldProblems,
  localModelPresets,
} from '../../../core/local-model/model-config.ts';

const trainingDefaults: Record<
  LocalModelPreset,
  { steps: number; batchSize: number; learningRate: number; warmupSteps: number; evalEvery: number }
> = {
  ci: { steps: 60, batchSize: 8, learningRate: 0.01, warmupSteps: 5, evalEvery: 10 },
  demo: { steps: 400, batchSize: 8, learningRate: 0.003, warmupSteps: 30, evalEvery: 50 },
};

const modelOverrides = {
  /** Target vocabulary of a freshly trained tokenizer (it may end smaller on a small corpus). */
  vocabSize: z.number().int().min(261).max(65_536).optional(),
  contextLength: z.number().int().min(8).max(2048).optional(),
  dModel: z.number().int().min(8).max(2048).optional(),
  layers: z.number().int().min(1).max(48).optional(),
  heads: z.number().int().min(1).max(64).optional(),
  ffnHidden: z.number().int().min(8).max(16_384).optional(),
  dropout: z.number().min(0).max(0.5).optional(),
  tieEmbeddings: z.boolean().optional(),
};

const HyperparameterInput = z
  .object({
    preset: LocalModelPreset.default('demo'),
    steps: z.number().int().min(1).max(1_000_000).optional(),
    batchSize: z.number().int().min(1).max(1024).optional(),
    learningRate: z.number().gt(0).max(1).optional(),
    warmupSteps: z.number().int().min(0).optional(),
    schedule: z.enum(['cosine', 'linear', 'constant']).default('cosine'),
    /** The learning rate decays to this fraction of its peak. */
    minLearningRateRatio: z.number().min(0).max(1).default(0.1),
    weightDecay: z.number().min(0).max(1).default(0.01),
    /** Gradients are scaled down when their global L2 norm exceeds this. */
    gradientClip: z.number().gt(0).default(1),
    evalEvery: z.number().int().min(1).optional(),
    /**
     * Where validation loss comes from: the dataset's test split (`test`, falling back to a
     * holdout when it is empty), a holdout of `validationFraction` of train (`holdout`), or nowhere.
     */
    validation: z.enum(['test', 'holdout', 'none']).default('test'),
    validationFraction: z.number().gt(0).max(0.5).default(0.1),
    /** Validation rows evaluated per check, to bound its cost on big datasets. */
    maxValidationRows: z.number().int().min(1).max(10_000).default(32),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    ...modelOverrides,
  })
  .strict();

/** Hyper-parameters of the local backend with every default filled in. */
export type LocalHyperparameters = {
  preset: LocalModelPreset;
  steps: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  schedule: 'cosine' | 'linear' | 'constant';
  minLearningRateRatio: number;
  weightDecay: number;
  gradientClip: number;
  evalEvery: number;
  validation: 'test' | 'holdout' | 'none';
  validationFraction: number;
  maxValidationRows: number;
  seed: number;
  /** The model to build when training from scratch (vocabSize is the tokenizer's target). */
  model: LocalModelConfig;
};

/**
 * Validates hyper-parameters and completes them from the preset. Throws one ValidationError
 * listing every problem: unknown keys, out-of-range values and inconsistent combinations
 * (warmup longer than training, dModel not divisible by heads).
 */
export function parseLocalHyperparameters(input: Record<string, unknown>): LocalHyperparameters {
  const parsed = HyperparameterInput.safeParse(input);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'hyperparameters'}: ${issue.message}`);
  // Cross-field checks run on whatever was given (over the preset), even when a field failed, so
  // that one error lists everything.
  const presetName = LocalModelPreset.safeParse(input.preset ?? 'demo');
  const preset = presetName.success ? presetName.data : 'demo';
  const combined = { ...localModelPresets[preset], ...trainingDefaults[preset], ...input };
  problems.push(...localModelCrossFieldProblems(combined));
  const { steps } = combined;
  const { warmupSteps } = input;
  if (
    Number.isInteger(steps) &&
    Number.isInteger(warmupSteps) &&
    (warmupSteps as number) >= (steps as number)
  ) {
    problems.push(`warmupSteps: ${warmupSteps} must be smaller than steps (${steps})`);
  }
  if (problems.length > 0 || !parsed.success) throw invalid(problems);

  const value = parsed.data;
  const defaults = trainingDefaults[value.preset];
  const shape = localModelPresets[value.preset];
  const resolvedSteps = value.steps ?? defaults.steps;
  return {
    preset: value.preset,
    steps: resolvedSteps,
    batchSize: value.batchSize ?? defaults.batchSize,
    learningRate: value.learningRate ?? defaults.learningRate,
    // A short run keeps a proportionate warmup unless one was asked for.
    warmupSteps: value.warmupSteps ?? Math.min(defaults.warmupSteps, Math.floor(resolvedSteps / 10)),
    schedule: value.schedule,
    minLearningRateRatio: value.minLearningRateRatio,
    weightDecay: value.weightDecay,
    gradientClip: value.gradientClip,
    evalEvery: value.evalEvery ?? defaults.evalEvery,
    validation: value.validation,
    validationFraction: value.validationFraction,
    maxValidationRows: value.maxValidationRows,
    seed: value.seed,
    model: {
      vocabSize: value.vocabSize ?? shape.vocabSize,
      contextLength: value.contextLength ?? shape.contextLength,
      dModel: value.dModel ?? shape.dModel,
      layers: value.layers ?? shape.layers,
      heads: value.heads ?? shape.heads,
      ffnHidden: value.ffnHidden ?? shape.ffnHidden,
      dropout: value.dropout ?? shape.dropout,
      tieEmbeddings: value.tieEmbeddings ?? shape.tieEmbeddings,
      seed: value.seed,
    },
  };
}

/** The flat record stored with the model version (the registry keeps hyper-parameters as JSON). */
export function hyperparametersRecord(hyperparameters: LocalHyperparameters): Record<string, unknown> {
  const { model, ...training } = hyperparameters;
  const { seed: _seed, ...shape } = model;
  return { ...training, ...shape };
}

function invalid(problems: string[]): ValidationError {
  return new ValidationError(
    `invalid hyper-parameters for the local backend:\n${problems.map((line) => `  - ${line}`).join('\n')}`,
  );
}
