import { z } from 'zod';
import { Category, Platform } from '../types/category.ts';

/** Pipelines own one queue each, so they scale and fail separately. */
export const QueueName = z.enum(['feature', 'training', 'inference']);
export type QueueName = z.infer<typeof QueueName>;

export const CrawlSource = z.enum([
  'web',
  'feed',
  'sitemap',
  'medium',
  'substack',
  'devto',
  'github',
  'linkedin',
]);
export type CrawlSource = z.infer<typeof CrawlSource>;

export const CrawlPayload = z.object({
  targets: z.array(z.string().min(1)).min(1),
  authorName: z.string().min(1),
  /** Force a crawler instead of choosing one from the URL. */
  source: CrawlSource.optional(),
  /**
   * Compute features for what changed once the crawl is done. When false, the crawl's changes are
   * held: neither the crawl nor a feature worker's relay builds them; a feature build that covers
   * those documents (`twin features build`) takes them.
   */
  buildFeatures: z.boolean().default(true),
});

const Reasoned = z.object({ url: z.string(), reason: z.string() });

export const CrawlResult = z.object({
  fetched: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  skipped: z.array(Reasoned),
  failed: z.array(Reasoned),
  documentIds: z.array(z.string()),
  durationMs: z.number(),
  /**
   * Every feature build covering what the crawl created or changed, whoever enqueued it (the crawl,
   * or a feature worker's outbox relay that took some changes first). Empty with `buildFeatures: false`.
   */
  featureJobIds: z.array(z.string()).default([]),
  /** The first of `featureJobIds` (kept for clients that read one id). */
  featureJobId: z.string().nullable().default(null),
});

export const FeatureBuildPayload = z.object({
  /** Only these documents; all documents when absent. */
  documentIds: z.array(z.string()).optional(),
  authorId: z.string().optional(),
  platform: Platform.optional(),
  category: Category.optional(),
  /** Recompute documents whose features are already up to date. */
  force: z.boolean().default(false),
});

export const FeatureBuildResult = z.object({
  featureSetId: z.string(),
  documents: z.number().int(),
  processed: z.number().int(),
  upToDate: z.number().int(),
  rejected: z.array(z.object({ documentId: z.string(), reason: z.string() })),
  chunks: z.number().int(),
  durationMs: z.number(),
  embedMs: z.number(),
});

export const FineTunePayload = z.object({
  datasetId: z.string().regex(/^ds_[0-9a-f]{12}$/),
  backend: z.string().min(1),
  modelName: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
  baseModel: z.string().min(1).nullable().default(null),
  /** Warm-start from this version of the same model (a fine-tune of a fine-tune). */
  parentVersion: z.number().int().positive().nullable().default(null),
  hyperparameters: z.record(z.string(), z.unknown()).default({}),
  requestedBy: z.string().min(1),
});

export const FineTuneResult = z.object({
  modelName: z.string(),
  version: z.number().int().positive(),
  backend: z.string(),
  metrics: z.record(z.string(), z.number()),
  lossCurveKey: z.string().nullable(),
  durationMs: z.number(),
});

export const BatchPayload = z.object({
  /** Artifact key of the input JSONL: one `{"id"?, "prompt"}` or `{"id"?, "messages"}` per line. */
  inputKey: z.string().min(1),
  /** Artifact key the results JSONL is written to. */
  outputKey: z.string().min(1),
  model: z.string().min(1).default('twin'),
  maxTokens: z.number().int().min(1).max(4096).default(256),
  temperature: z.number().min(0).max(2).default(0.7),
});

export const BatchResult = z.object({
  outputKey: z.string(),
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  modelVersions: z.array(z.string()),
  durationMs: z.number(),
});

/** Every job the system knows: its queue, payload schema and result schema. */
export const jobContracts = {
  'feature.crawl': { queue: 'feature', payload: CrawlPayload, result: CrawlResult },
  'feature.build': { queue: 'feature', payload: FeatureBuildPayload, result: FeatureBuildResult },
  'training.finetune': { queue: 'training', payload: FineTunePayload, result: FineTuneResult },
  'inference.batch': { queue: 'inference', payload: BatchPayload, result: BatchResult },
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType; result: z.ZodType }>;

export type JobName = keyof typeof jobContracts;
export type JobPayload<N extends JobName> = z.input<(typeof jobContracts)[N]['payload']>;
export type ParsedJobPayload<N extends JobName> = z.output<(typeof jobContracts)[N]['payload']>;
export type JobResult<N extends JobName> = z.input<(typeof jobContracts)[N]['result']>;
export type CrawlResult = z.input<typeof CrawlResult>;
export type FeatureBuildResult = z.output<typeof FeatureBuildResult>;
export type FineTuneResult = z.output<typeof FineTuneResult>;
export type BatchResult = z.output<typeof BatchResult>;
