import { markdownBlocks } from './markdown-blocks.ts';
import { truncateAtParagraph } from './truncate-at-paragraph.ts';

/**
 * Packs a document's blocks into passages of at most `maxCharacters`, breaking only between
 * paragraphs (a code block stays whole). A single block longer than the limit is cut at sentence
 * or line breaks. Passages are what the LLM generator writes pairs for: big enough to hold a whole
 * thought, small enough that the answer can stay grounded in it.
 */
export function splitIntoPassages(text: string, maxCharacters: number): string[] {
  const passages: string[] = [];
  let current = '';
  for (const block of markdownBlocks(text)) {
    for (const piece of pieces(block.raw, maxCharacters)) {
      const joined = current ? `${current}\n\n${piece}` : piece;
      if (joined.length <= maxCharacters) {
        current = joined;
        continue;
      }
      if (current) passages.push(current);
      current = piece;
    }
  }
  if (current.trim()) passages.push(current);
  return passages;
}

function pieces(block: string, maxCharacters: number): string[] {
  const result: string[] = [];
  let rest = block.trim();
  while (rest.length > maxCharacters) {
    let piece = truncateAtParagraph(rest, maxCharacters, { markdown: false });
    if (!piece) piece = rest.slice(0, maxCharacters);
    result.push(piece);
    rest = rest.slice(piece.length).trim();
  }
  if (rest) result.push(rest);
  return result;
}
