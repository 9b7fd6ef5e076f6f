import type { LossPoint } from '../../core/types/model-version.ts';
import { formatTick, lossRange } from './loss-curve-scale.ts';

const blocks = '▁▂▃▄▅▆▇█';

/** One line of block characters for a series of values (NaN shows as a space). */
export function lossSparkline(values: number[]): string {
  const range = lossRange(values);
  if (!range) return '';
  return values
    .map((value) => {
      if (!Number.isFinite(value)) return ' ';
      const level = Math.round(((value - range.min) / (range.max - range.min)) * (blocks.length - 1));
      return blocks[Math.min(blocks.length - 1, Math.max(0, level))];
    })
    .join('');
}

/**
 * A compact terminal plot of a loss curve: `•` train, `o` validation (`◆` where both fall in the
 * same cell), the loss scale on the left, the step range below, the last values beside.
 */
export function renderLossCurveAscii(
  points: LossPoint[],
  options: { width?: number; height?: number } = {},
): string {
  const width = Math.max(8, options.width ?? 60);
  const height = Math.max(3, options.height ?? 8);
  const sorted = [...points].sort((a, b) => a.step - b.step);
  const range = lossRange(sorted.flatMap((point) => [point.trainLoss, point.validationLoss ?? Number.NaN]));
  if (!range || sorted.length === 0) return 'no loss recorded';
  const firstStep = sorted[0]?.step ?? 0;
  const lastStep = Math.max(firstStep + 1, sorted[sorted.length - 1]?.step ?? 1);
  const grid = Array.from({ length: height }, () => Array.from({ length: width }, () => ' '));
  const plot = (step: number, loss: number | null, mark: string) => {
    if (loss === null || !Number.isFinite(loss)) return;
    const column = Math.round(((step - firstStep) / (lastStep - firstStep)) * (width - 1));
    const row = Math.round((1 - (loss - range.min) / (range.max - range.min)) * (height - 1));
    const line = grid[Math.min(height - 1, Math.max(0, row))] as string[];
    const current = line[column];
    line[column] = current === ' ' || current === mark ? mark : '◆';
  };
  for (const point of sorted) {
    plot(point.step, point.trainLoss, '•');
    plot(point.step, point.validationLoss, 'o');
  }
  const labels = grid.map((_, row) => formatTick(range.max - (row / (height - 1)) * (range.max - range.min)));
  const labelWidth = Math.max(...labels.map((label) => label.length));
  const lines = grid.map((line, row) => `${(labels[row] as string).padStart(labelWidth)} ┤${line.join('')}`);
  const stepLabel = `step ${firstStep}`;
  const endLabel = `${lastStep}`;
  lines.push(`${' '.repeat(labelWidth)} └${'─'.repeat(width)}`);
  lines.push(
    `${' '.repeat(labelWidth + 2)}${stepLabel}${endLabel.padStart(Math.max(1, width - stepLabel.length))}`,
  );
  const last = sorted[sorted.length - 1] as LossPoint;
  const summary = `• train ${last.trainLoss.toFixed(3)}${last.validationLoss === null ? '' : `   o validation ${last.validationLoss.toFixed(3)}`}`;
  lines.push(`${' '.repeat(labelWidth + 2)}${summary}`);
  return lines.join('\n');
}
