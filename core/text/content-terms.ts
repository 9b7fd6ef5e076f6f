// Words that say nothing about what a text is about.
const stopwords = new Set(
  (
    'a about above after again all also am an and any are as at be because been before being below between ' +
    'both but by can could did do does doing down during each few for from further had has have having he her ' +
    'here hers him his how i if in into is it its itself just me more most my no nor not now of off on once ' +
    'only or other our ours out over own same she should so some such than that the their theirs them then ' +
    'there these they this those through to too under until up very was we were what when where which while ' +
    'who whom why will with would you your yours think thought tell say said feel know like really much many ' +
    'get got make made use used way ways thing things one ones'
  ).split(' '),
);

/**
 * Lower-cased content words with plurals folded, so "models" meets "model": what the extractive
 * answerer matches questions with and what grounding measures a sentence's support with.
 */
export function contentTerms(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    let word = match[0];
    if (word.length < 3 || stopwords.has(word)) continue;
    if (word.length > 4 && word.endsWith('ies')) word = `${word.slice(0, -3)}y`;
    else if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) word = word.slice(0, -1);
    terms.push(word);
  }
  return terms;
}
