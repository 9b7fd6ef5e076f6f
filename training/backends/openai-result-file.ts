import type { LossPoint } from '../../core/types/model-version.ts';

export type ResultFileSummary = {
  lossCurve: LossPoint[];
  /** Last values: trainLoss, validationLoss, trainTokenAccuracy, validationTokenAccuracy, steps. */
  metrics: Record<string, number>;
};

/**
 * Reads the results file of a finished OpenAI fine-tuning job: a CSV with the columns `step,
 * train_loss, train_accuracy, valid_loss, valid_mean_token_accuracy` (newer files add more). The
 * Files API serves it base64-encoded, so both encodings are accepted. Returns null for anything
 * else, since a missing curve must not fail a job that succeeded.
 */
export function parseOpenAIResultFile(content: string): ResultFileSummary | null {
  const csv = decode(content);
  if (csv === null) return null;
  const lines = csv.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0]?.split(',').map((name) => name.trim()) ?? [];
  const column = (name: string) => header.indexOf(name);
  const stepColumn = column('step');
  const trainColumn = column('train_loss');
  if (stepColumn < 0 || trainColumn < 0) return null;
  const validColumn = column('valid_loss');
  const fullValidColumn = column('full_valid_loss');
  const trainAccuracyColumn = Math.max(column('train_accuracy'), column('train_mean_token_accuracy'));
  const validAccuracyColumn = column('valid_mean_token_accuracy');

  const lossCurve: LossPoint[] = [];
  const last: Record<string, number> = {};
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const read = (index: number): number | null => {
      if (index < 0) return null;
      const cell = cells[index]?.trim();
      if (!cell) return null;
      const value = Number(cell);
      return Number.isFinite(value) ? value : null;
    };
    const step = read(stepColumn);
    const trainLoss = read(trainColumn);
    if (step === null || trainLoss === null || !Number.isInteger(step) || step < 0) continue;
    const validationLoss = read(validColumn);
    lossCurve.push({ step, trainLoss, validationLoss });
    last.steps = step;
    last.trainLoss = trainLoss;
    // Full validation loss (whole validation split, end of epoch) beats the per-step sample.
    const fullValidation = read(fullValidColumn);
    if (fullValidation !== null) last.fullValidationLoss = fullValidation;
    if (validationLoss !== null) last.sampledValidationLoss = validationLoss;
    const trainAccuracy = read(trainAccuracyColumn);
    if (trainAccuracy !== null) last.trainTokenAccuracy = trainAccuracy;
    const validationAccuracy = read(validAccuracyColumn);
    if (validationAccuracy !== null) last.validationTokenAccuracy = validationAccuracy;
  }
  if (lossCurve.length === 0) return null;

  const { fullValidationLoss, sampledValidationLoss, ...metrics } = last;
  const validationLoss = fullValidationLoss ?? sampledValidationLoss;
  if (validationLoss !== undefined) metrics.validationLoss = validationLoss;
  return { lossCurve, metrics };
}

function decode(content: string): string | null {
  const trimmed = content.trim();
  if (/^step\s*,/.test(trimmed)) return trimmed;
  if (!/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) return null;
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8').trim();
  return /^step\s*,/.test(decoded) ? decoded : null;
}
