import { chromeKindOf } from './chrome-kind.ts';
import { hideNames } from './hide-names.ts';
import { chromeAttribute } from './remove-chrome-blocks.ts';

/** What may sit beside a heading in its wrapper and still be the heading's furniture: "[edit]", "#", "¶". */
const furnitureLength = 12;

/**
 * Readability drops headings for their markup, not their text: a class such as Substack's
 * `header-anchor-post` matches its unlikely candidates ("header"), a wrapper such as MediaWiki's
 * `div.mw-heading` with its "[edit]" link is a short, link-dense div that its conditional cleaning
 * removes, and a heading that is one self-link (`<a href="#id">`) reads as all link. Each lost
 * heading takes a section's title with it (and the dataset's section examples). So, before
 * Readability: a heading's names are hidden from it, a wrapper holding nothing but the heading and
 * such furniture is replaced by the heading, and a self-link and icons inside it become its text.
 * Headings inside marked chrome, or named as chrome themselves ("comments-title"), are left alone.
 */
export function keepHeadings(document: Document): void {
  for (const heading of Array.from(document.body?.querySelectorAll('h1, h2, h3, h4, h5, h6') ?? [])) {
    if (heading.closest(`[${chromeAttribute}]`) || chromeKindOf(heading)) continue;
    for (const icon of Array.from(heading.querySelectorAll('svg, button'))) icon.remove();
    for (const link of Array.from(heading.querySelectorAll('a[href^="#"]')))
      link.replaceWith(...Array.from(link.childNodes));
    hideNames(heading);
    // Its wrapper is outside chrome too (the heading is inside it), so only its text is in question.
    const wrapper = heading.parentElement;
    if (wrapper?.tagName.toUpperCase() !== 'DIV') continue;
    const beside =
      (wrapper.textContent ?? '').replace(/\s+/g, '').length -
      (heading.textContent ?? '').replace(/\s+/g, '').length;
    if (beside <= furnitureLength) wrapper.replaceWith(heading);
  }
}
