import type { InstructionExample } from '../../core/types/dataset.ts';

export type FilterOptions = {
  minAnswerCharacters: number;
  maxAnswerCharacters: number;
  /** Jaccard similarity of answers' word 3-shingles at or above which the later answer is dropped. */
  nearDuplicateThreshold: number;
};

/** Why an example was dropped; the keys of a dataset's `dropped` counts. */
export type DropReason = 'empty-instruction' | 'too-short' | 'too-long' | 'boilerplate' | 'near-duplicate';

export type FilterResult<T> = { kept: T[]; dropped: Partial<Record<DropReason, number>> };

const shingleSize = 3;

/** Lines that are publishing furniture or calls to action rather than the author's thinking. */
const boilerplateLine =
  /^\W*(subscribe|sign up|follow me|follow us|share this|like and share|thanks for reading|thank you for reading|click here|read more|continue reading|link in (my )?bio|all rights reserved|copyright|©|cookies?|leave a comment|comments?$|join (my|our|the) (newsletter|mailing list))/i;
const linkPattern = /https?:\/\/\S+|\[[^\]]*\]\([^)]*\)|\bwww\.\S+/g;

/**
 * Keeps the examples worth training on, in their input order. Checks run cheapest first and each
 * example is counted once, under the first reason that drops it. Near-duplicates are found by exact
 * Jaccard similarity over word 3-shingles through an inverted index (only examples that share a
 * shingle are compared), keeping the first of each group: deterministic, and fast enough for the
 * tens of thousands of pairs one author yields.
 */
export function filterExamples<T extends InstructionExample>(
  examples: readonly T[],
  options: FilterOptions,
): FilterResult<T> {
  const dropped: Partial<Record<DropReason, number>> = {};
  const drop = (reason: DropReason) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  };
  const kept: T[] = [];
  const index = new Map<string, number[]>();
  const sizes: number[] = [];

  for (const example of examples) {
    const answer = example.answer.trim();
    if (!example.instruction.trim()) drop('empty-instruction');
    else if (answer.length < options.minAnswerCharacters) drop('too-short');
    else if (answer.length > options.maxAnswerCharacters) drop('too-long');
    else if (isBoilerplate(answer)) drop('boilerplate');
    else {
      const shingles = shinglesOf(answer);
      if (isNearDuplicate(shingles, index, sizes, options.nearDuplicateThreshold)) {
        drop('near-duplicate');
        continue;
      }
      const position = sizes.length;
      sizes.push(shingles.size);
      for (const shingle of shingles) {
        const holders = index.get(shingle);
        if (holders) holders.push(position);
        else index.set(shingle, [position]);
      }
      kept.push(example);
    }
  }
  return { kept, dropped };
}

/**
 * An answer is boilerplate when most of its text is links, or most of its words sit on
 * call-to-action lines ("Subscribe to my newsletter", "Link in bio").
 */
export function isBoilerplate(answer: string): boolean {
  const visible = answer.replace(/\s+/g, '');
  if (visible.length === 0) return true;
  const linkCharacters = (answer.match(linkPattern) ?? []).join('').replace(/\s+/g, '').length;
  if (linkCharacters / visible.length > 0.5) return true;
  const lines = answer.split('\n').filter((line) => line.trim());
  const wordsOf = (text: string) => (text.replace(linkPattern, ' ').match(/[\p{L}\p{N}']+/gu) ?? []).length;
  const total = lines.reduce((sum, line) => sum + wordsOf(line), 0);
  if (total === 0) return true;
  const boilerplate = lines
    .filter((line) => boilerplateLine.test(line.trim()))
    .reduce((sum, line) => sum + wordsOf(line), 0);
  return boilerplate / total > 0.5;
}

/** Lower-cased word 3-shingles; a text shorter than three words is one shingle. */
export function shinglesOf(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
  if (words.length < shingleSize) return new Set([words.join(' ')]);
  const shingles = new Set<string>();
  for (let start = 0; start + shingleSize <= words.length; start += 1)
    shingles.add(words.slice(start, start + shingleSize).join(' '));
  return shingles;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const shingle of a) if (b.has(shingle)) shared += 1;
  return shared / (a.size + b.size - shared);
}

function isNearDuplicate(
  shingles: ReadonlySet<string>,
  index: ReadonlyMap<string, number[]>,
  sizes: readonly number[],
  threshold: number,
): boolean {
  const shared = new Map<number, number>();
  for (const shingle of shingles)
    for (const position of index.get(shingle) ?? []) shared.set(position, (shared.get(position) ?? 0) + 1);
  for (const [position, count] of shared) {
    const union = shingles.size + (sizes[position] ?? 0) - count;
    if (count / union >= threshold) return true;
  }
  return false;
}
