import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { maximumVocabSize, minimumVocabSize } from './bpe-tokenizer.ts';

/** The shape of the local transformer; stored in every checkpoint manifest. */
export const LocalModelConfig = z.object({
  vocabSize: z.number().int().min(minimumVocabSize).max(maximumVocabSize),
  contextLength: z.number().int().min(8).max(2048),
  dModel: z.number().int().min(8).max(2048),
  layers: z.number().int().min(1).max(48),
  heads: z.number().int().min(1).max(64),
  ffnHidden: z.number().int().min(8).max(16_384),
  dropout: z.number().min(0).max(0.5),
  /** Output head shares the token embedding matrix (fewer weights, better on small corpora). */
  tieEmbeddings: z.boolean(),
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1),
});
export type LocalModelConfig = z.infer<typeof LocalModelConfig>;

export const LocalModelPreset = z.enum(['ci', 'demo']);
export type LocalModelPreset = z.infer<typeof LocalModelPreset>;

/**
 * `ci` trains in seconds inside the test suite. `demo` is the largest shape that still trains to
 * author-like text on a ~40-document corpus in about two minutes on one wasm core (tfjs runs
 * single-threaded in Node); see bench/training for its measured throughput.
 */
export const localModelPresets: Record<LocalModelPreset, LocalModelConfig> = {
  ci: {
    vocabSize: 384,
    contextLength: 64,
    dModel: 32,
    layers: 1,
    heads: 2,
    ffnHidden: 128,
    dropout: 0,
    tieEmbeddings: true,
    seed: 1,
  },
  demo: {
    vocabSize: 1024,
    contextLength: 128,
    dModel: 128,
    layers: 2,
    heads: 4,
    ffnHidden: 512,
    dropout: 0,
    tieEmbeddings: true,
    seed: 1,
  },
};

/**
 * Validates a model shape and throws one ValidationError listing every problem, field checks and
 * cross-field checks together (so a user fixes a config in one go, not one error at a time).
 */
export function parseLocalModelConfig(input: unknown): LocalModelConfig {
  const problems = localModelConfigProblems(input);
  const parsed = LocalModelConfig.safeParse(input);
  if (problems.length > 0 || !parsed.success) {
    throw new ValidationError(
      `invalid local model config:\n${problems.map((line) => `  - ${line}`).join('\n')}`,
    );
  }
  return parsed.data;
}

/** Every problem of a would-be config, as `field: message` lines; empty when it is valid. */
export function localModelConfigProblems(input: unknown): string[] {
  const parsed = LocalModelConfig.safeParse(input);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`);
  return [...problems, ...localModelCrossFieldProblems(input)];
}

/** Problems between fields (dModel vs heads), checked wherever the fields involved are integers. */
export function localModelCrossFieldProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return [];
  const { dModel, heads } = input as Record<string, unknown>;
  const problems: string[] = [];
  if (Number.isInteger(dModel) && Number.isInteger(heads) && (heads as number) > 0) {
    if ((dModel as number) % (heads as number) !== 0) {
      problems.push(`dModel: ${dModel} is not divisible by heads (${heads})`);
    }
  }
  return problems;
}

/** Weights in the model, for reports and FLOP estimates. */
export function countParameters(config: LocalModelConfig): number {
  const { vocabSize, contextLength, dModel, layers, ffnHidden, tieEmbeddings } = config;
  const perLayer = 4 * dModel + 3 * dModel * dModel + 3 * dModel + dModel * dModel + dModel;
  const mlp = dModel * ffnHidden + ffnHidden + ffnHidden * dModel + dModel;
  const head = tieEmbeddings ? 0 : dModel * vocabSize;
  return vocabSize * dModel + contextLength * dModel + layers * (perLayer + mlp) + 2 * dModel + head;
}

/**
 * Floating-point operations to train on one token (forward + backward ≈ 3× forward): every matmul
 * counts 2·m·n per row, attention over the full causal window as computed (no skipping of the
 * masked half). The embedding lookup is a gather, not a matmul, so it costs nothing here.
 */
export function trainingFlopsPerToken(config: LocalModelConfig): number {
  const { vocabSize, contextLength, dModel, layers, ffnHidden } = config;
  const dense = 2 * (3 * dModel * dModel + dModel * dModel + 2 * dModel * ffnHidden);
  const attention = 2 * 2 * contextLength * dModel;
  const head = 2 * dModel * vocabSize;
  return 3 * (layers * (dense + attention) + head);
}
