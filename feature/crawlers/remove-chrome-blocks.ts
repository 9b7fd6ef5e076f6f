import { wordTokens } from './bag-of-words-f1.ts';
import { type ChromeKind, chromeKindOf } from './chrome-kind.ts';
import { flatText } from './flat-text.ts';
import { hideNames } from './hide-names.ts';
import { blockTags, phrasingTags } from './html-tags.ts';

/** A block removed from an article, with its text, so a caller can see exactly what went. */
export type RemovedChrome = { kind: ChromeKind; text: string };

export const chromeAttribute = 'data-chrome';

/** Moves class and id aside, where Readability's own class-name rules cannot see them. */
/** Paragraphs of prose: at least two of a sentence or more, few of their words in links. */
function isProse(element: Element): boolean {
  const paragraphs = Array.from(element.querySelectorAll('p')).filter((p) => flatText(p).length >= 80);
  const text = flatText(element);
  return paragraphs.length >= 2 && linkDensity(element, text) < 0.2;
}

/**
 * Marks, without removing anything, every element of the page that declares itself chrome (see
 * `chromeKindOf`) and is shaped like it. The mark must survive Readability, which rebuilds a
 * `<div>` holding only text as a fresh `<p>` without the div's class and id: such a div gets its
 * content wrapped in a marked `<p>` first, which Readability then keeps in the div's place. An
 * element whose name says chrome but which is prose unlike that chrome (a "Related work" section
 * of an essay), or which sits inside a sentence (`as <span class="author">Knuth</span> wrote`),
 * has its name hidden instead, so that Readability's own class-name rules do not delete it either.
 */
export function markChromeBlocks(document: Document): void {
  for (const element of Array.from(document.body?.querySelectorAll('*') ?? [])) {
    const kind = chromeKindOf(element);
    if (!kind) continue;
    if (isInsideProse(element)) {
      hideNames(element);
      continue;
    }
    if (!looksLike(kind, element)) {
      // Sidebars keep their names: a wordy one is still beside the article, not in it.
      if (kind !== 'sidebar' && isProse(element)) hideNames(element);
      continue;
    }
    element.setAttribute(chromeAttribute, kind);
    const children = Array.from(element.childNodes);
    if (element.tagName.toUpperCase() !== 'DIV' || children.length === 0) continue;
    if (!children.every((child) => child.nodeType !== 1 || phrasingTags.has(child.nodeName.toUpperCase()))) {
      continue;
    }
    const paragraph = document.createElement('p');
    paragraph.setAttribute(chromeAttribute, kind);
    paragraph.append(...children);
    element.append(paragraph);
  }
}

/** The words of an element as a reader sees them: blocks apart, inline runs together. */
function textOf(element: Element): string {
  const collect = (node: Element): string =>
    Array.from(node.childNodes)
      .map((child) => {
        if (child.nodeType === 3) return child.textContent ?? '';
        if (child.nodeType !== 1) return '';
        const inner = collect(child as Element);
        const tag = (child as Element).tagName.toUpperCase();
        return blockTags.has(tag) || tag === 'TR' || tag === 'TD' || tag === 'TH' ? ` ${inner} ` : inner;
      })
      .join('');
  return collect(element).replace(/\s+/g, ' ').trim();
}

function linkDensity(element: Element, text: string): number {
  if (text.length === 0) return 0;
  let linked = 0;
  for (const link of Array.from(element.querySelectorAll('a'))) linked += flatText(link).length;
  return linked / text.length;
}

/** A table of contents: its links lead to places in this page. */
function isInPageIndex(element: Element): boolean {
  const page = element.ownerDocument.documentURI.replace(/#.*$/, '');
  const links = Array.from(element.querySelectorAll('a[href]')).map(
    (link) => link.getAttribute('href') ?? '',
  );
  const inPage = links.filter((href) => href.startsWith('#') || href.startsWith(`${page}#`));
  return links.length > 0 && inPage.length / links.length >= 0.8;
}

/** Whether the element's own shape agrees with what its name or role says it is. */
function looksLike(kind: ChromeKind, element: Element): boolean {
  const text = flatText(element);
  const density = linkDensity(element, text);
  switch (kind) {
    case 'cookie-notice':
    case 'dialog':
    case 'comments':
      return true;
    case 'share-bar':
      return text.length < 400 || density > 0.5;
    case 'newsletter':
      return text.length < 800 || element.querySelector('form, input, button') !== null;
    case 'related-posts':
      return text.length < 200 || density >= 0.25;
    case 'navigation':
      return !isInPageIndex(element) && (text.length < 200 || density > 0.4);
    case 'sidebar':
      return text.length < 300 || density > 0.3;
    case 'byline':
      return text.length < 600;
    case 'advertisement':
    case 'breadcrumbs':
    case 'tags':
    case 'votes':
    case 'site-header':
    case 'site-footer':
    case 'screen-reader-text':
    case 'feedback':
      return text.length < 400;
  }
}

/** An inline element inside a sentence (`as <span class="author">Knuth</span> wrote`) is the sentence's. */
function isInsideProse(element: Element): boolean {
  if (!phrasingTags.has(element.tagName.toUpperCase())) return false;
  let block = element.parentElement;
  while (block && phrasingTags.has(block.tagName.toUpperCase())) block = block.parentElement;
  return block !== null && flatText(block).length - flatText(element).length > 30;
}

// No block that holds this share of the article's words or more is chrome, whatever it is called.
const maxChromeShare = 0.5;

/**
 * Takes out of an extracted article (Readability's result) the blocks that are provably chrome:
 * declared chrome (marked by `markChromeBlocks`, or named so now), shaped like that chrome (a
 * share bar is short or all links, a related-posts list is linky, a contents list leading into
 * the page is kept), and holding less than half of the article's words. Returns what went.
 */
export function removeChromeBlocks(root: Element): RemovedChrome[] {
  const totalWords = wordTokens(root.textContent ?? '').length;
  const removed: RemovedChrome[] = [];
  for (const element of Array.from(root.querySelectorAll('*'))) {
    if (!root.contains(element)) continue;
    const kind = (element.getAttribute(chromeAttribute) as ChromeKind | null) ?? chromeKindOf(element);
    if (!kind || !looksLike(kind, element) || isInsideProse(element)) continue;
    const text = textOf(element);
    if (wordTokens(text).length >= totalWords * maxChromeShare) continue;
    element.remove();
    if (text !== '') removed.push({ kind, text });
  }
  return removed;
}

/**
 * Whether any word of the article lies outside links and outside declared chrome: a page of
 * nothing but a menu and a footer has no article, even when those make up all of its text.
 */
export function hasTextBeyondChrome(root: Element): boolean {
  for (const child of Array.from(root.childNodes)) {
    if (child.nodeType === 3 && /[\p{L}\p{N}]/u.test(child.textContent ?? '')) return true;
    if (child.nodeType !== 1) continue;
    const element = child as Element;
    if (element.tagName.toUpperCase() === 'A' || element.hasAttribute(chromeAttribute)) continue;
    if (hasTextBeyondChrome(element)) return true;
  }
  return false;
}
