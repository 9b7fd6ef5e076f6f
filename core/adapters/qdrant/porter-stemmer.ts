/**
 * The Porter (1980) stemmer, the algorithm behind SQLite FTS5's `porter` tokenizer, so keyword
 * search over Qdrant's sparse vectors folds word forms ("crawlers" → "crawler") exactly like the
 * embedded store's index does. Input is one lower-case word; words of one or two letters are kept.
 */
export function porterStem(word: string): string {
  if (word.length <= 2 || !/^[a-z]+$/.test(word)) return word;
  let stem = step1a(word);
  stem = step1b(stem);
  stem = step1c(stem);
  stem = replaceSuffix(stem, step2Suffixes, 0);
  stem = replaceSuffix(stem, step3Suffixes, 0);
  stem = step4(stem);
  return step5(stem);
}

function isConsonant(word: string, index: number): boolean {
  const letter = word[index];
  if (letter === 'a' || letter === 'e' || letter === 'i' || letter === 'o' || letter === 'u') return false;
  if (letter === 'y') return index === 0 || !isConsonant(word, index - 1);
  return true;
}

/** m in [C](VC)^m[V]: the number of vowel-consonant sequences. */
function measure(stem: string): number {
  let count = 0;
  let index = 0;
  while (index < stem.length && isConsonant(stem, index)) index++;
  while (index < stem.length) {
    while (index < stem.length && !isConsonant(stem, index)) index++;
    if (index >= stem.length) break;
    while (index < stem.length && isConsonant(stem, index)) index++;
    count++;
  }
  return count;
}

function hasVowel(stem: string): boolean {
  for (let index = 0; index < stem.length; index++) if (!isConsonant(stem, index)) return true;
  return false;
}

function endsWithDoubleConsonant(stem: string): boolean {
  const last = stem.length - 1;
  return last >= 1 && stem[last] === stem[last - 1] && isConsonant(stem, last);
}

/** *o: the stem ends consonant-vowel-consonant and the last consonant is not w, x or y. */
function endsCvc(stem: string): boolean {
  const last = stem.length - 1;
  if (last < 2) return false;
  if (!isConsonant(stem, last) || isConsonant(stem, last - 1) || !isConsonant(stem, last - 2)) return false;
  const letter = stem[last];
  return letter !== 'w' && letter !== 'x' && letter !== 'y';
}

function step1a(word: string): string {
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ies')) return word.slice(0, -2);
  if (word.endsWith('ss')) return word;
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

function step1b(word: string): string {
  if (word.endsWith('eed')) {
    return measure(word.slice(0, -3)) > 0 ? word.slice(0, -1) : word;
  }
  for (const suffix of ['ed', 'ing']) {
    if (!word.endsWith(suffix)) continue;
    const stem = word.slice(0, -suffix.length);
    if (!hasVowel(stem)) return word;
    if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return `${stem}e`;
    if (endsWithDoubleConsonant(stem) && !/[lsz]$/.test(stem)) return stem.slice(0, -1);
    if (measure(stem) === 1 && endsCvc(stem)) return `${stem}e`;
    return stem;
  }
  return word;
}

function step1c(word: string): string {
  if (word.endsWith('y') && hasVowel(word.slice(0, -1))) return `${word.slice(0, -1)}i`;
  return word;
}

const step2Suffixes: [string, string][] = [
  ['ational', 'ate'],
  ['tional', 'tion'],
  ['enci', 'ence'],
  ['anci', 'ance'],
  ['izer', 'ize'],
  ['abli', 'able'],
  ['alli', 'al'],
  ['entli', 'ent'],
  ['eli', 'e'],
  ['ousli', 'ous'],
  ['ization', 'ize'],
  ['ation', 'ate'],
  ['ator', 'ate'],
  ['alism', 'al'],
  ['iveness', 'ive'],
  ['fulness', 'ful'],
  ['ousness', 'ous'],
  ['aliti', 'al'],
  ['iviti', 'ive'],
  ['biliti', 'ble'],
];

const step3Suffixes: [string, string][] = [
  ['icate', 'ic'],
  ['ative', ''],
  ['alize', 'al'],
  ['iciti', 'ic'],
  ['ical', 'ic'],
  ['ful', ''],
  ['ness', ''],
];

/** Replaces the longest matching suffix when the remaining stem's measure is above `minimum`. */
function replaceSuffix(word: string, suffixes: [string, string][], minimum: number): string {
  let best: [string, string] | undefined;
  for (const entry of suffixes) {
    if (word.endsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  if (!best) return word;
  const stem = word.slice(0, -best[0].length);
  return measure(stem) > minimum ? stem + best[1] : word;
}

const step4Suffixes = [
  'al',
  'ance',
  'ence',
  'er',
  'ic',
  'able',
  'ible',
  'ant',
  'ement',
  'ment',
  'ent',
  'ion',
  'ou',
  'ism',
  'ate',
  'iti',
  'ous',
  'ive',
  'ize',
];

function step4(word: string): string {
  let best = '';
  for (const suffix of step4Suffixes) {
    if (word.endsWith(suffix) && suffix.length > best.length) best = suffix;
  }
  if (!best) return word;
  const stem = word.slice(0, -best.length);
  if (measure(stem) <= 1) return word;
  if (best === 'ion' && !/[st]$/.test(stem)) return word;
  return stem;
}

function step5(word: string): string {
  let stem = word;
  if (stem.endsWith('e')) {
    const base = stem.slice(0, -1);
    const m = measure(base);
    if (m > 1 || (m === 1 && !endsCvc(base))) stem = base;
  }
  if (measure(stem) > 1 && endsWithDoubleConsonant(stem) && stem.endsWith('l')) stem = stem.slice(0, -1);
  return stem;
}
