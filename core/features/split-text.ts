import { countTokens } from './count-tokens.ts';

export type SplitOptions = {
  /** Most tokens in a chunk (see `countTokens`). */
  chunkSize: number;
  /** Tokens repeated from the end of one chunk at the start of the next. */
  chunkOverlap: number;
  /** Boundaries tried in order, coarsest first; each stays attached to the piece before it. */
  separators: readonly string[];
};

/**
 * Recursive, token-aware splitting with overlap. Every chunk is an exact substring of the input
 * (nothing is trimmed or re-joined with another separator), which keeps code indentation intact and
 * lets a chunk be traced back to its offset in the cleaned document.
 */
export function splitText(text: string, options: SplitOptions): string[] {
  if (options.chunkOverlap >= options.chunkSize) {
    throw new RangeError(
      `chunkOverlap (${options.chunkOverlap}) must be smaller than chunkSize (${options.chunkSize})`,
    );
  }
  if (text.length === 0) return [];
  const atoms = toAtoms(text, options.separators, options.chunkSize);
  return mergeAtoms(atoms, options);
}

type Atom = { text: string; tokens: number };

function toAtoms(text: string, separators: readonly string[], limit: number): Atom[] {
  const tokens = countTokens(text);
  if (tokens <= limit) return [{ text, tokens }];
  const index = separators.findIndex((separator) => text.includes(separator));
  if (index < 0) return hardSplit(text, limit);
  const separator = separators[index] as string;
  const rest = separators.slice(index + 1);
  return splitKeepingSeparator(text, separator).flatMap((part) => toAtoms(part, rest, limit));
}

function splitKeepingSeparator(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let at = text.indexOf(separator); at >= 0; at = text.indexOf(separator, start)) {
    parts.push(text.slice(start, at + separator.length));
    start = at + separator.length;
  }
  if (start < text.length) parts.push(text.slice(start));
  return parts.filter((part) => part.length > 0);
}

/** Last resort for text with no separator at all (a minified line): cut between tokens. */
function hardSplit(text: string, limit: number): Atom[] {
  const atoms: Atom[] = [];
  let current = '';
  let tokens = 0;
  for (const match of text.matchAll(/\s*\S+/gu)) {
    const part = match[0];
    const partTokens = countTokens(part);
    if (tokens + partTokens > limit && current) {
      atoms.push({ text: current, tokens });
      current = '';
      tokens = 0;
    }
    if (partTokens > limit) {
      // One enormous "word": fall back to fixed character windows.
      const width = limit * 6;
      for (let offset = 0; offset < part.length; offset += width) {
        const slice = part.slice(offset, offset + width);
        atoms.push({ text: slice, tokens: countTokens(slice) });
      }
      continue;
    }
    current += part;
    tokens += partTokens;
  }
  // The regex leaves trailing whitespace unmatched; keep it so chunks still add up to the input.
  current += /\s*$/u.exec(text)?.[0] ?? '';
  if (current) atoms.push({ text: current, tokens: countTokens(current) });
  return atoms;
}

function mergeAtoms(atoms: Atom[], options: SplitOptions): string[] {
  const chunks: string[] = [];
  let window: Atom[] = [];
  let tokens = 0;
  for (const atom of atoms) {
    if (tokens + atom.tokens > options.chunkSize && window.length > 0) {
      chunks.push(window.map((entry) => entry.text).join(''));
      // Carry the tail of the chunk into the next one within the overlap budget: whole atoms while
      // they fit, then the trailing words of the atom that does not.
      const carried: Atom[] = [];
      let carriedTokens = 0;
      const budget = Math.min(options.chunkOverlap, options.chunkSize - atom.tokens);
      for (let index = window.length - 1; index >= 0 && carriedTokens < budget; index--) {
        const entry = window[index] as Atom;
        if (carriedTokens + entry.tokens <= budget) {
          carried.unshift(entry);
          carriedTokens += entry.tokens;
          continue;
        }
        const tail = trailingWords(entry.text, budget - carriedTokens);
        if (tail.tokens > 0) {
          carried.unshift(tail);
          carriedTokens += tail.tokens;
        }
        break;
      }
      window = carried;
      tokens = carriedTokens;
    }
    window.push(atom);
    tokens += atom.tokens;
  }
  if (window.length > 0) chunks.push(window.map((entry) => entry.text).join(''));
  return chunks;
}

/** The longest run of whole words at the end of `text` that fits in `budget` tokens. */
function trailingWords(text: string, budget: number): Atom {
  const words = text.match(/\S+\s*/gu) ?? [];
  let start = words.length;
  let tokens = 0;
  while (start > 0) {
    const next = countTokens(words[start - 1] as string);
    if (tokens + next > budget) break;
    tokens += next;
    start -= 1;
  }
  return { text: words.slice(start).join(''), tokens };
}
