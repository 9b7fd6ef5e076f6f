const fenceLine = /^\s*(```|~~~)/;

/**
 * Shortens text to at most `maxCharacters`, cutting at the last paragraph break that fits, so an
 * answer ends where the author ended a thought. In markdown a break inside a fenced code block is
 * never used (half a code block teaches broken code). Only when the first paragraph alone is too
 * long does it fall back to the last sentence end, then the last line or word break.
 */
export function truncateAtParagraph(
  text: string,
  maxCharacters: number,
  options: { markdown?: boolean } = {},
): string {
  const trimmed = text.trim();
  if (trimmed.length <= maxCharacters) return trimmed;
  const markdown = options.markdown ?? true;

  let best = 0;
  let offset = 0;
  let inFence = false;
  let previousBlank = false;
  for (const line of trimmed.split('\n')) {
    const blank = line.trim() === '';
    if (markdown && fenceLine.test(line)) inFence = !inFence;
    // A cut goes just before the first blank line of a run, outside fences.
    if (blank && !previousBlank && !inFence && offset > 0 && offset <= maxCharacters) best = offset;
    previousBlank = blank;
    offset += line.length + 1;
    if (offset > maxCharacters + 1) break;
  }
  if (best > 0) return trimmed.slice(0, best).trimEnd();

  const head = trimmed.slice(0, maxCharacters);
  // Inside code a "sentence end" means nothing; a line break is the natural place to stop.
  const inFenceAt = (index: number) =>
    markdown &&
    head
      .slice(0, index)
      .split('\n')
      .filter((line) => fenceLine.test(line)).length %
      2 ===
      1;
  const lastSentence = [...head.matchAll(/[.!?…]["')\]]?(?=\s)/g)]
    .map((match) => match.index + match[0].length)
    .filter((end) => end > maxCharacters / 4 && !inFenceAt(end))
    .pop();
  const lastLine = head.lastIndexOf('\n');
  const lastWord = head.lastIndexOf(' ');
  const end =
    lastSentence ?? (lastLine > maxCharacters / 4 ? lastLine : lastWord > 0 ? lastWord : head.length);
  const cut = head.slice(0, end);
  return markdown ? closeOpenFence(cut.trimEnd(), maxCharacters) : cut.trimEnd();
}

/** A cut inside a fenced block gets its fence closed, so the answer still renders as code. */
function closeOpenFence(text: string, maxCharacters: number): string {
  const fences = text.split('\n').filter((line) => fenceLine.test(line)).length;
  if (fences % 2 === 0) return text;
  const closed = `${text}\n\`\`\``;
  return closed.length <= maxCharacters ? closed : `${text.slice(0, maxCharacters - 4).trimEnd()}\n\`\`\``;
}
