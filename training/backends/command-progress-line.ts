import { z } from 'zod';

/**
 * What an external trainer may print on stdout, one JSON object per line, to report progress:
 *
 *   {"progress": 0.42, "step": 120, "loss": 1.23, "validation_loss": 1.31, "message": "epoch 1/3"}
 *   {"metrics": {"eval_loss": 1.18, "eval_accuracy": 0.61}}
 *
 * Every key is optional. `progress` is the fraction done (0–1); `step` with `loss` adds a point to
 * the loss curve; `metrics` are merged into the model version's metrics; `message` is logged.
 * Any other line (plain text, tqdm bars, Python dicts) is logged as it is. Print with
 * `flush=True` (or run Python with -u) so lines arrive while training, not at exit.
 */
export const CommandProgressLine = z.object({
  progress: z.number().min(0).max(1).optional(),
  step: z.number().int().nonnegative().optional(),
  loss: z.number().optional(),
  validation_loss: z.number().nullable().optional(),
  message: z.string().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
});
export type CommandProgressLine = z.infer<typeof CommandProgressLine>;

/** The progress report on a line, or null when the line is ordinary output. */
export function parseCommandProgressLine(line: string): CommandProgressLine | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return null;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return null;
  }
  const parsed = CommandProgressLine.safeParse(json);
  if (!parsed.success) return null;
  const report = parsed.data;
  // A JSON log line of some library that shares none of our keys stays a log line.
  const known = ['progress', 'step', 'loss', 'metrics'] as const;
  return known.some((key) => report[key] !== undefined) ? report : null;
}
