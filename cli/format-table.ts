/** A plain-text table with padded columns; long cells are cut with an ellipsis. */
export function formatTable(
  headers: string[],
  rows: (string | number | null | undefined)[][],
  maxWidth = 60,
): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => truncate(String(cell ?? '—'), maxWidth)))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => displayWidth(row[column] ?? ''))));
  return cells
    .map((row, index) => {
      const line = row
        .map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - displayWidth(cell)))
        .join('  ');
      return index === 0
        ? `${line.trimEnd()}\n${widths.map((width) => '─'.repeat(width)).join('  ')}`
        : line.trimEnd();
    })
    .join('\n');
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return [...flat].length > width ? `${[...flat].slice(0, width - 1).join('')}…` : flat;
}

function displayWidth(text: string): number {
  return [...text].length;
}

export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(1)} s`;
  return `${Math.floor(milliseconds / 60_000)} min ${Math.round((milliseconds % 60_000) / 1000)} s`;
}
