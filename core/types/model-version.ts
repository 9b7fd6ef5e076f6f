import { z } from 'zod';

/** Where a model version's weights are and how to serve them. */
export const ModelArtifact = z.discriminatedUnion('kind', [
  /** A checkpoint of the local transformer in the artifact store (`core/local-model`). */
  z.object({ kind: z.literal('local'), key: z.string().min(1), sha256: z.string().length(64) }),
  /** A model served by an OpenAI-compatible endpoint (OpenAI fine-tunes, Ollama, vLLM…). */
  z.object({ kind: z.literal('openai-compatible'), baseUrl: z.string().url(), model: z.string().min(1) }),
  /** A local GGUF file (llama.cpp); `origin` says where a pulled pretrained file came from. */
  z.object({
    kind: z.literal('gguf'),
    path: z.string().min(1),
    sha256: z.string().length(64).nullable(),
    origin: z
      .object({
        source: z.string().min(1),
        /** Absent when neither a catalog nor the file's own metadata states one. */
        licence: z.string().min(1).optional(),
        parameters: z.number().int().positive().optional(),
      })
      .optional(),
  }),
  /**
   * A LoRA adapter GGUF served on the GGUF base it was trained on (llama.cpp applies it when the
   * base is loaded). `base` is that base as registered: its version, file and the file's sha256,
   * so serving refuses to put the adapter on any other file.
   */
  z.object({
    kind: z.literal('gguf-adapter'),
    base: z.object({
      name: z.string().min(1),
      version: z.number().int().positive(),
      path: z.string().min(1),
      sha256: z.string().length(64),
    }),
    adapter: z.object({ path: z.string().min(1), sha256: z.string().length(64) }),
  }),
  /** A model folder written by an external trainer (Hugging Face layout). */
  z.object({ kind: z.literal('folder'), path: z.string().min(1) }),
]);
export type ModelArtifact = z.infer<typeof ModelArtifact>;

/** The artifact of a version that serves a LoRA adapter on its GGUF base. */
export type GgufAdapterArtifact = Extract<ModelArtifact, { kind: 'gguf-adapter' }>;

export const LossPoint = z.object({
  step: z.number().int().nonnegative(),
  trainLoss: z.number(),
  validationLoss: z.number().nullable(),
});
export type LossPoint = z.infer<typeof LossPoint>;

/** A registered, immutable model version with its lineage. Metrics grow as evaluations run. */
export const ModelVersion = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
  version: z.number().int().positive(),
  backend: z.string().min(1),
  baseModel: z.string().nullable(),
  hyperparameters: z.record(z.string(), z.unknown()),
  datasetId: z.string().nullable(),
  featureSetId: z.string().nullable(),
  parentVersion: z.number().int().positive().nullable(),
  metrics: z.record(z.string(), z.number()),
  lossCurve: z.array(LossPoint),
  artifact: ModelArtifact,
  /** Artifact key of the loss curve image, when the backend produced a curve. */
  lossCurveKey: z.string().nullable(),
  jobId: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string().min(1),
});
export type ModelVersion = z.infer<typeof ModelVersion>;

/** One alias move, kept forever: who pointed which alias at which version, and when. */
export const AliasEvent = z.object({
  name: z.string(),
  alias: z.string(),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int().nullable(),
  movedBy: z.string(),
  reason: z.string().nullable(),
  at: z.string(),
});
export type AliasEvent = z.infer<typeof AliasEvent>;
