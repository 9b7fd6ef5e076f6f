import { z } from 'zod';

/**
 * The fields we use of OpenAI's fine-tuning API responses (files, fine_tuning.job, job events).
 * Minimal on purpose: OpenAI adds fields often, and unknown ones are ignored, not rejected.
 */

/** POST /files */
export const OpenAIFile = z.object({
  id: z.string().min(1),
  object: z.literal('file').optional(),
  bytes: z.number().int().nonnegative().nullish(),
  filename: z.string().nullish(),
  purpose: z.string(),
});
export type OpenAIFile = z.infer<typeof OpenAIFile>;

/** DELETE /files/{file_id} */
export const OpenAIFileDeleted = z.object({
  id: z.string().min(1),
  object: z.literal('file').optional(),
  deleted: z.boolean(),
});

export const FineTuningJobStatus = z.enum([
  'validating_files',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
]);
export type FineTuningJobStatus = z.infer<typeof FineTuningJobStatus>;

const AutoOrNumber = z.union([z.literal('auto'), z.number()]);

/** POST /fine_tuning/jobs, GET /fine_tuning/jobs/{id}, POST /fine_tuning/jobs/{id}/cancel */
export const FineTuningJob = z.object({
  id: z.string().min(1),
  object: z.literal('fine_tuning.job').optional(),
  model: z.string(),
  status: FineTuningJobStatus,
  created_at: z.number().nullish(),
  finished_at: z.number().nullish(),
  estimated_finish: z.number().nullish(),
  fine_tuned_model: z.string().nullish(),
  trained_tokens: z.number().nullish(),
  result_files: z.array(z.string()).default([]),
  training_file: z.string().nullish(),
  validation_file: z.string().nullish(),
  seed: z.number().int().nullish(),
  /** Resolved values once the job runs ("auto" becomes a number). */
  hyperparameters: z
    .object({
      n_epochs: AutoOrNumber.nullish(),
      batch_size: AutoOrNumber.nullish(),
      learning_rate_multiplier: AutoOrNumber.nullish(),
    })
    .nullish(),
  error: z
    .object({
      code: z.string().nullish(),
      message: z.string().nullish(),
      param: z.string().nullish(),
    })
    .nullish(),
});
export type FineTuningJob = z.infer<typeof FineTuningJob>;

/** One event; `type: metrics` events carry the step's losses in `data`. */
export const FineTuningJobEvent = z.object({
  id: z.string().min(1),
  created_at: z.number(),
  level: z.string(),
  message: z.string(),
  type: z.string().nullish(),
  data: z
    .object({
      step: z.number().int().nonnegative().optional(),
      total_steps: z.number().int().positive().optional(),
      train_loss: z.number().optional(),
      valid_loss: z.number().nullish(),
      full_valid_loss: z.number().nullish(),
    })
    .nullish()
    // Non-metrics events carry other shapes (or `{}`); they are only logged.
    .catch(null),
});
export type FineTuningJobEvent = z.infer<typeof FineTuningJobEvent>;

/** GET /fine_tuning/jobs/{id}/events — newest first. */
export const FineTuningJobEventList = z.object({
  data: z.array(FineTuningJobEvent),
  has_more: z.boolean().optional(),
});
