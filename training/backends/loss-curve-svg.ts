import type { LossPoint } from '../../core/types/model-version.ts';
import { formatTick, lossRange, niceTicks } from './loss-curve-scale.ts';

export type LossCurveSvgOptions = { title?: string; width?: number; height?: number };

const colours = { train: '#2563eb', validation: '#ea580c', axis: '#374151', grid: '#e5e7eb' };

/**
 * A loss curve as a standalone SVG document (no scripts, no external fonts or styles): train loss
 * as a solid line, validation loss dashed with dots, axes with ticks and labels, a legend. The
 * registry stores it beside the model version and the web UI shows it as an <img>.
 */
export function renderLossCurveSvg(points: LossPoint[], options: LossCurveSvgOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const margin = { top: options.title ? 40 : 20, right: 20, bottom: 48, left: 60 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const sorted = [...points].sort((a, b) => a.step - b.step);
  const losses = sorted.flatMap((point) => [point.trainLoss, point.validationLoss ?? Number.NaN]);
  const range = lossRange(losses) ?? { min: 0, max: 1 };
  const firstStep = sorted[0]?.step ?? 0;
  const lastStep = Math.max(firstStep + 1, sorted[sorted.length - 1]?.step ?? 1);
  const x = (step: number) => margin.left + ((step - firstStep) / (lastStep - firstStep)) * plotWidth;
  const y = (loss: number) => margin.top + (1 - (loss - range.min) / (range.max - range.min)) * plotHeight;
  const number = (value: number) => value.toFixed(1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title) {
    parts.push(
      `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="600" fill="${colours.axis}">${escapeXml(options.title)}</text>`,
    );
  }
  for (const tick of niceTicks(range.min, range.max, 5)) {
    const at = number(y(tick));
    parts.push(
      `<line x1="${margin.left}" y1="${at}" x2="${margin.left + plotWidth}" y2="${at}" stroke="${colours.grid}"/>`,
      `<text x="${margin.left - 8}" y="${at}" text-anchor="end" dominant-baseline="middle" fill="${colours.axis}">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of niceTicks(firstStep, lastStep, 6)) {
    const at = number(x(tick));
    const bottom = margin.top + plotHeight;
    parts.push(
      `<line x1="${at}" y1="${bottom}" x2="${at}" y2="${bottom + 5}" stroke="${colours.axis}"/>`,
      `<text x="${at}" y="${bottom + 18}" text-anchor="middle" fill="${colours.axis}">${formatTick(tick)}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="${colours.axis}"/>`,
    `<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${margin.left + plotWidth}" y2="${margin.top + plotHeight}" stroke="${colours.axis}"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle" fill="${colours.axis}">step</text>`,
    `<text x="16" y="${margin.top + plotHeight / 2}" text-anchor="middle" fill="${colours.axis}" transform="rotate(-90 16 ${margin.top + plotHeight / 2})">loss</text>`,
  );

  const train = sorted.filter((point) => Number.isFinite(point.trainLoss));
  const validation = sorted.filter(
    (point) => point.validationLoss !== null && Number.isFinite(point.validationLoss),
  );
  const path = (selected: LossPoint[], value: (point: LossPoint) => number) =>
    selected.map((point) => `${number(x(point.step))},${number(y(value(point)))}`).join(' ');
  if (train.length > 0) {
    parts.push(
      `<polyline fill="none" stroke="${colours.train}" stroke-width="2" points="${path(train, (point) => point.trainLoss)}"/>`,
    );
  }
  if (validation.length > 0) {
    const value = (point: LossPoint) => point.validationLoss as number;
    parts.push(
      `<polyline fill="none" stroke="${colours.validation}" stroke-width="2" stroke-dasharray="6 4" points="${path(validation, value)}"/>`,
      ...validation.map(
        (point) =>
          `<circle cx="${number(x(point.step))}" cy="${number(y(value(point)))}" r="3" fill="${colours.validation}"/>`,
      ),
    );
  }
  if (train.length === 0 && validation.length === 0) {
    parts.push(
      `<text x="${margin.left + plotWidth / 2}" y="${margin.top + plotHeight / 2}" text-anchor="middle" fill="${colours.axis}">no loss recorded</text>`,
    );
  }

  const legendX = margin.left + plotWidth - 150;
  const legendY = margin.top + 10;
  parts.push(
    `<rect x="${legendX}" y="${legendY - 8}" width="146" height="${validation.length > 0 ? 40 : 22}" fill="#ffffff" stroke="${colours.grid}"/>`,
    `<line x1="${legendX + 8}" y1="${legendY + 3}" x2="${legendX + 32}" y2="${legendY + 3}" stroke="${colours.train}" stroke-width="2"/>`,
    `<text x="${legendX + 38}" y="${legendY + 3}" dominant-baseline="middle" fill="${colours.axis}">train loss</text>`,
  );
  if (validation.length > 0) {
    parts.push(
      `<line x1="${legendX + 8}" y1="${legendY + 21}" x2="${legendX + 32}" y2="${legendY + 21}" stroke="${colours.validation}" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${legendX + 38}" y="${legendY + 21}" dominant-baseline="middle" fill="${colours.axis}">validation loss</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
