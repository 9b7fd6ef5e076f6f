/**
 * Words too common to say anything about relevance. BM25 already gives them almost no weight; both
 * vector stores drop them from keyword queries so a question does not match (and score) every chunk
 * that contains "the", and so the embedded and the Qdrant store answer a keyword query alike.
 * Documents keep them.
 */
export const keywordStopWords: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by can could did do does for from had has have how i if in into is it its ' +
    'me my not of on or our she should so than that the their them then there these they this those to ' +
    'us was we were what when where which who whom why will with would you your'
  ).split(' '),
);

/** Most terms a keyword query keeps; a pasted page must not become a thousand-term OR. */
export const maxKeywordQueryTerms = 32;
