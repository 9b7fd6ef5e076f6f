import { fencedCode } from './markdown-inline.ts';

/** Renders a cell's content as Markdown blocks; supplied by `htmlToText`. */
export type RenderCell = (cell: Element) => string[];

// Line-number columns of highlighted code (Pygments, Rouge, GitHub gists, highlight.js plugins).
const gutterClass =
  /(?:^|\s)(?:linenos|lineno|gutter|rouge-gutter|blob-num|line-numbers?|hljs-ln-numbers)(?:\s|$)/;
// Cell content a one-line Markdown table cell cannot hold.
const blockContent = 'pre, ul, ol, dl, table, blockquote, h1, h2, h3, h4, h5, h6';

function tagOf(element: Element): string {
  return element.tagName.toUpperCase();
}

/** The table's own rows, not those of tables nested in its cells. */
function ownRows(table: Element): Element[] {
  return Array.from(table.querySelectorAll('tr')).filter((row) => row.closest('table') === table);
}

function cellsOf(row: Element): Element[] {
  return Array.from(row.children).filter((cell) => ['TD', 'TH'].includes(tagOf(cell)));
}

function isGutter(cell: Element): boolean {
  return gutterClass.test(cell.getAttribute('class') ?? '') || cell.hasAttribute('data-line-number');
}

/** Code laid out as a table of line numbers beside lines of code: just the code. */
function codeTable(table: Element, rows: Element[][]): string | null {
  const isCode = rows.every(
    (cells) => cells.length === 2 && tagOf(cells[0] as Element) === 'TD' && isGutter(cells[0] as Element),
  );
  const hasCode = rows.some(
    (cells) => cells[1]?.querySelector('pre, code') || /code/.test(cells[1]?.getAttribute('class') ?? ''),
  );
  if (rows.length === 0 || !isCode || !hasCode) return null;
  const lines = rows.map((cells) => {
    const code = cells[1] as Element;
    for (const br of Array.from(code.querySelectorAll('br'))) {
      br.replaceWith(code.ownerDocument.createTextNode('\n'));
    }
    return (code.querySelector('pre') ?? code).textContent ?? '';
  });
  const classes = `${table.getAttribute('class') ?? ''} ${table.parentElement?.closest('[class*="language-"]')?.getAttribute('class') ?? ''}`;
  const language = /(?:^|\s)language-([\w+#.-]+)/.exec(classes)?.[1] ?? '';
  return fencedCode(
    lines
      .join('\n')
      .replace(/^\r?\n/, '')
      .replace(/\s+$/, ''),
    language,
  );
}

function escapeCell(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
}

/**
 * A table as Markdown: a GitHub-flavoured grid (first row as header) when every cell is one line
 * of text, the code alone when it is a line-numbered code listing, and otherwise each cell's
 * blocks in reading order, so code blocks and lists inside cells survive intact. A caption
 * comes first, as its own paragraph.
 */
export function renderTable(table: Element, renderCell: RenderCell): string[] {
  const rows = ownRows(table).map(cellsOf);
  const code = codeTable(table, rows);
  if (code) return [code];
  const caption = Array.from(table.children).find((child) => tagOf(child) === 'CAPTION');
  const blocks = caption ? renderCell(caption) : [];
  const columns = Math.max(0, ...rows.map((cells) => cells.length));
  const simple = rows.every((cells) => cells.every((cell) => !cell.querySelector(blockContent)));
  if (columns >= 2 && simple) {
    const grid = rows
      .map((cells) => cells.map((cell) => escapeCell(renderCell(cell).join(' '))))
      .filter((cells) => cells.some((cell) => cell !== ''))
      .map((cells) => [...cells, ...Array<string>(columns - cells.length).fill('')]);
    const [header, ...body] = grid;
    if (header) {
      const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
      blocks.push([line(header), line(header.map(() => '---')), ...body.map(line)].join('\n'));
    }
    return blocks;
  }
  for (const cells of rows) for (const cell of cells) blocks.push(...renderCell(cell));
  return blocks;
}
