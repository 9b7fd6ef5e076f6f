// Footnote and endnote lists as blog engines and Pandoc write them. Readability often drops them
// ("footnote" lowers a block's score), though the article links to every note.
const noteLists = '[role="doc-endnotes"], .footnotes, #footnotes';

/** Copies of the page's note lists, taken before extraction changes the document. */
export function collectNoteLists(document: Document): Element[] {
  return Array.from(document.querySelectorAll(noteLists))
    .filter((list) => list.parentElement?.closest(noteLists) === null)
    .map((list) => list.cloneNode(true) as Element);
}

/**
 * Appends to the extracted article each note list that it links to (`href="#fn1"`) but lost,
 * so the notes stay with the text that cites them.
 */
export function appendCitedNoteLists(article: Element, lists: readonly Element[]): void {
  const cited = new Set(
    Array.from(article.querySelectorAll('a[href*="#"]')).map((link) =>
      decodeURIComponent((link.getAttribute('href') ?? '').replace(/^[^#]*#/, '')),
    ),
  );
  const present = new Set(Array.from(article.querySelectorAll('[id]')).map((element) => element.id));
  for (const list of lists) {
    const ids = Array.from(list.querySelectorAll('[id]')).map((element) => element.id);
    if (ids.some((id) => cited.has(id)) && !ids.some((id) => present.has(id))) article.append(list);
  }
}
