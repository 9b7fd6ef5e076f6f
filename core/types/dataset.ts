import { z } from 'zod';

/** One supervised example: an instruction and the author's answer, traced to its source document. */
export const InstructionExample = z.object({
  instruction: z.string().min(1),
  answer: z.string().min(1),
  /** Which rule or prompt made it: `title-to-article`, `heading-to-section`, `llm:qa`… */
  kind: z.string().min(1),
  sourceDocumentId: z.string().min(1),
});
export type InstructionExample = z.infer<typeof InstructionExample>;

/** One preference pair for DPO-style training: the author's text beats a generic answer. */
export const PreferenceExample = z.object({
  instruction: z.string().min(1),
  chosen: z.string().min(1),
  rejected: z.string().min(1),
  kind: z.string().min(1),
  sourceDocumentId: z.string().min(1),
});
export type PreferenceExample = z.infer<typeof PreferenceExample>;

export const DatasetKind = z.enum(['instruction', 'preference']);
export type DatasetKind = z.infer<typeof DatasetKind>;

/** How a dataset was made: enough to make it again and to explain it. */
export const DatasetRecipe = z.object({
  kind: DatasetKind,
  featureSetId: z.string().min(1),
  authorId: z.string().nullable(),
  generator: z.object({
    name: z.string().min(1),
    version: z.string().min(1),
    model: z.string().nullable(),
    prompts: z.record(z.string(), z.string()),
  }),
  filters: z.object({
    minAnswerCharacters: z.number().int().nonnegative(),
    maxAnswerCharacters: z.number().int().positive(),
    nearDuplicateThreshold: z.number().min(0).max(1),
  }),
  split: z.object({ testFraction: z.number().min(0).max(0.9), seed: z.string() }),
});
export type DatasetRecipe = z.infer<typeof DatasetRecipe>;

/**
 * An immutable, content-addressed dataset. `id` hashes the recipe and the examples, so the same
 * inputs always give the same id and a changed input always gives a new one.
 */
export const Dataset = z.object({
  id: z.string().regex(/^ds_[0-9a-f]{12}$/),
  recipe: DatasetRecipe,
  sourceDocumentIds: z.array(z.string()),
  sizes: z.object({ train: z.number().int().nonnegative(), test: z.number().int().nonnegative() }),
  /** What the filters removed, by reason. */
  dropped: z.record(z.string(), z.number().int().nonnegative()),
  /** Tokens and cost of LLM generation, when an LLM was used. */
  usage: z
    .object({
      promptTokens: z.number().int(),
      completionTokens: z.number().int(),
      costUsd: z.number().nullable(),
    })
    .nullable(),
  /** Artifact key of the JSON file holding the examples (`{ train: [...], test: [...] }`). */
  artifactKey: z.string().min(1),
  createdAt: z.string(),
});
export type Dataset = z.infer<typeof Dataset>;

export type DatasetSplits<T> = { train: T[]; test: T[] };
