/** One block of cleaned text: a heading line, a fenced code block, or a blank-line separated block. */
export type MarkdownBlock =
  | { type: 'heading'; level: number; text: string; raw: string }
  | { type: 'code'; raw: string }
  | { type: 'paragraph'; raw: string }
  | { type: 'list'; raw: string };

const headingLine = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const fenceLine = /^\s*(```|~~~)/;
const listLine = /^\s*([-*+•]|\d+[.)])\s+/;

/**
 * Splits cleaned text into blocks. Fences are tracked so that a `# comment` inside quoted code is
 * never mistaken for a heading, and a code block is never cut in two.
 */
export function markdownBlocks(text: string): MarkdownBlock[] {
  const blocks: MarkdownBlock[] = [];
  let pending: string[] = [];
  let fence: string[] | null = null;

  const flush = () => {
    if (pending.length === 0) return;
    const raw = pending.join('\n');
    pending = [];
    blocks.push({ type: isList(raw) ? 'list' : 'paragraph', raw });
  };

  for (const line of text.split('\n')) {
    if (fence) {
      fence.push(line);
      if (fenceLine.test(line)) {
        blocks.push({ type: 'code', raw: fence.join('\n') });
        fence = null;
      }
      continue;
    }
    if (fenceLine.test(line)) {
      flush();
      fence = [line];
      continue;
    }
    const heading = headingLine.exec(line);
    if (heading) {
      flush();
      blocks.push({
        type: 'heading',
        level: (heading[1] as string).length,
        text: heading[2] as string,
        raw: line,
      });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    pending.push(line);
  }
  // An unclosed fence still belongs to the text: keep it as code rather than lose it.
  if (fence) blocks.push({ type: 'code', raw: fence.join('\n') });
  flush();
  return blocks;
}

/** Joins blocks back into text with one blank line between blocks. */
export function joinBlocks(blocks: readonly MarkdownBlock[]): string {
  return blocks.map((block) => block.raw).join('\n\n');
}

function isList(raw: string): boolean {
  const lines = raw.split('\n');
  return lines.filter((line) => listLine.test(line)).length >= Math.ceil(lines.length / 2);
}
