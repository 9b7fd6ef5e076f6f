import { flatText } from './flat-text.ts';
import { blockTags, ignoredTags as ignored } from './html-tags.ts';
import { emphasize, fencedCode, inlineCode } from './markdown-inline.ts';
import { renderTable } from './render-table.ts';
import { mathAttribute, mathNotationAttribute } from './replace-math-with-text.ts';

/** Readable text from an HTML fragment, plus the absolute URLs of the links and images it held. */
export type RenderedText = { text: string; links: string[]; images: string[] };

const elementNode = 1;
const textNode = 3;

type Collected = {
  base: string;
  links: Set<string>;
  images: Set<string>;
  /** Emphasis markers already open around the current element; none at all inside headings. */
  emphasis: ReadonlySet<string>;
  plain: boolean;
  /** Set in a paragraph holding a `$…$` formula, where a literal `$` (a price) must not pair with it. */
  escapeDollars: boolean;
};

/**
 * Renders `root` as Markdown: paragraphs separated by blank lines, headings as `#` lines, list
 * items as `- ` (or `1. `) lines, code blocks fenced with their whitespace intact, quotes with
 * `> `, `*emphasis*` and `**strong**`, inline code, tables as grids, formulas as `$TeX$` (or their
 * text when no TeX was given). Every marker is balanced. Links keep only their text; their
 * absolute URLs go to `links`.
 */
export function htmlToText(root: Element, baseUrl: string): RenderedText {
  const collected: Collected = {
    base: baseUrl,
    links: new Set(),
    images: new Set(),
    emphasis: new Set(),
    plain: false,
    escapeDollars: false,
  };
  const text = renderChildren(root, collected).join('\n\n');
  return { text, links: [...collected.links], images: [...collected.images] };
}

/** `value` resolved against `base` when it is an http(s) URL, else null. */
export function absoluteUrl(value: string | null | undefined, base: string): string | null {
  if (!value) return null;
  try {
    const url = new URL(value.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const blockSelector = [...blockTags].map((tag) => tag.toLowerCase()).join(',');

function renderChildren(parent: Element, collected: Collected): string[] {
  const blocks: string[] = [];
  let inline: ChildNode[] = [];
  const flush = () => {
    const hasMath = inline.some(
      (node) =>
        node.nodeType === elementNode &&
        ((node as Element).hasAttribute(mathAttribute) ||
          (node as Element).querySelector(`[${mathAttribute}]`)),
    );
    blocks.push(
      ...paragraphs(renderInlineNodes(inline, hasMath ? { ...collected, escapeDollars: true } : collected)),
    );
    inline = [];
  };
  for (const child of Array.from(parent.childNodes)) {
    if (child.nodeType === textNode) {
      inline.push(child);
      continue;
    }
    if (child.nodeType !== elementNode) continue;
    const element = child as Element;
    const tag = element.tagName.toUpperCase();
    if (ignored.has(tag)) continue;
    // An inline element wrapping blocks (<a><div>…</div></a>) is rendered as a block container.
    if (blockTags.has(tag) || element.querySelector(blockSelector)) {
      if (tag === 'A') recordLink(element, collected);
      flush();
      blocks.push(...renderBlock(element, tag, collected));
    } else {
      inline.push(element);
    }
  }
  flush();
  return blocks;
}

/** Splits inline text on line breaks, tidying spaces line by line. */
function paragraphs(inline: string): string[] {
  const paragraph = inline
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
  return paragraph === '' ? [] : [paragraph];
}

function recordLink(element: Element, collected: Collected): void {
  const href = absoluteUrl(element.getAttribute('href'), collected.base);
  if (href) collected.links.add(href);
}

/** A formula `replaceMathWithText` left: TeX between dollars, readable text as it is. */
function renderMath(element: Element, inline: boolean): string {
  const text = flatText(element);
  if (text === '' || element.getAttribute(mathNotationAttribute) !== 'tex') return text;
  return element.getAttribute(mathAttribute) === 'display'
    ? `$$${text}$$`
    : inline
      ? `$${text}$`
      : `$$${text}$$`;
}

const emphasisMarkers: Record<string, '*' | '**'> = { EM: '*', I: '*', STRONG: '**', B: '**' };

/**
 * A run of inline nodes, spaces kept as they are (collapsed) so neighbouring words stay apart.
 * Adjacent emphasis of one kind (`<i>a</i><i>b</i>`) is emphasized once, so that no closing
 * marker touches the next opening one.
 */
function renderInlineNodes(nodes: readonly ChildNode[], collected: Collected): string {
  let text = '';
  for (let index = 0; index < nodes.length; index += 1) {
    const node = nodes[index] as ChildNode;
    if (node.nodeType === textNode) {
      let words = (node.textContent ?? '').replace(/\s+/g, ' ');
      // Inside emphasis a literal asterisk (`**kwargs`) would pair with the markers.
      if (collected.emphasis.size > 0) words = words.replace(/\*/g, '\\*');
      if (collected.escapeDollars) words = words.replace(/\$/g, '\\$');
      text += words;
      continue;
    }
    if (node.nodeType !== elementNode) continue;
    const element = node as Element;
    const tag = element.tagName.toUpperCase();
    if (ignored.has(tag)) continue;
    const marker = emphasisMarkers[tag];
    if (!marker || collected.plain || collected.emphasis.has(marker) || element.hasAttribute(mathAttribute)) {
      text += renderInline(element, tag, collected);
      continue;
    }
    const group = [element];
    for (let next = nodes[index + 1]; next && sameEmphasis(next, marker); next = nodes[index + 1]) {
      group.push(next as Element);
      index += 1;
    }
    const inner = { ...collected, emphasis: new Set([...collected.emphasis, marker]) };
    text += emphasize(
      group.map((member) => renderInlineNodes(Array.from(member.childNodes), inner)).join(''),
      marker,
    );
  }
  return text;
}

function sameEmphasis(node: ChildNode, marker: string): boolean {
  return node.nodeType === elementNode && emphasisMarkers[(node as Element).tagName.toUpperCase()] === marker;
}

/** One inline element; emphasis reaches here only where its marker is already open (or unwanted). */
function renderInline(element: Element, tag: string, collected: Collected): string {
  if (element.hasAttribute(mathAttribute)) return renderMath(element, true);
  switch (tag) {
    case 'BR':
      return '\n';
    case 'IMG': {
      const source = absoluteUrl(element.getAttribute('src'), collected.base);
      if (source) collected.images.add(source);
      return '';
    }
    case 'CODE':
    case 'KBD':
    case 'SAMP':
      return inlineCode((element.textContent ?? '').replace(/\s+/g, ' '));
    case 'A':
      // Permalink anchors (¶, #, ↩) beside headings and footnotes say nothing in text.
      if (isSymbolAnchor(element)) return '';
      recordLink(element, collected);
      break;
  }
  return renderInlineNodes(Array.from(element.childNodes), collected);
}

function isSymbolAnchor(element: Element): boolean {
  const href = element.getAttribute('href') ?? '';
  return href.startsWith('#') && !/[\p{L}\p{N}]/u.test(element.textContent ?? '');
}

function renderBlock(element: Element, tag: string, collected: Collected): string[] {
  if (element.hasAttribute(mathAttribute)) {
    const formula = renderMath(element, false);
    return formula ? [formula] : [];
  }
  switch (tag) {
    case 'H1':
    case 'H2':
    case 'H3':
    case 'H4':
    case 'H5':
    case 'H6': {
      // A heading is emphasis enough: markers inside it would only be noise.
      const heading = renderChildren(element, { ...collected, plain: true })
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim();
      return heading ? [`${'#'.repeat(Number(tag[1]))} ${heading}`] : [];
    }
    case 'UL':
    case 'OL':
      return renderList(element, tag === 'OL', collected);
    case 'PRE':
      return [renderCode(element)];
    case 'BLOCKQUOTE': {
      const quoted = renderChildren(element, collected);
      if (quoted.length === 0) return [];
      return [quoted.map((block) => prefixLines(block, '> ', '>')).join('\n>\n')];
    }
    case 'TABLE':
      return renderTable(element, (cell) => renderChildren(cell, collected));
    case 'HR':
      return [];
    default:
      return renderChildren(element, collected);
  }
}

function renderList(list: Element, ordered: boolean, collected: Collected): string[] {
  const start = Number(list.getAttribute('start') ?? '1');
  let number = Number.isFinite(start) ? start : 1;
  const items: string[] = [];
  for (const child of Array.from(list.children)) {
    const blocks = renderChildren(child, collected);
    if (blocks.length === 0) continue;
    const marker = ordered ? `${number}. ` : '- ';
    number += 1;
    const [first = '', ...rest] = blocks;
    const head = prefixLines(first, ' '.repeat(marker.length), ' '.repeat(marker.length)).slice(
      marker.length,
    );
    items.push([`${marker}${head}`, ...rest.map((block) => prefixLines(block, '  ', ''))].join('\n'));
  }
  // Items of one list stay on consecutive lines: the list is one block.
  return items.length > 0 ? [items.join('\n')] : [];
}

function renderCode(pre: Element): string {
  const code = pre.querySelector('code');
  const classes = `${pre.getAttribute('class') ?? ''} ${code?.getAttribute('class') ?? ''}`;
  const language = /(?:^|\s)(?:language|lang)-([\w+#.-]+)/.exec(classes)?.[1] ?? '';
  // Some editors (Medium) break code lines with <br> rather than newlines.
  for (const br of Array.from(pre.querySelectorAll('br')))
    br.replaceWith(pre.ownerDocument.createTextNode('\n'));
  const source = (pre.textContent ?? '').replace(/^\r?\n/, '').replace(/\s+$/, '');
  return fencedCode(source, language);
}

/** Prefixes each line; `emptyPrefix` is used for blank lines so quotes do not grow trailing spaces. */
function prefixLines(block: string, prefix: string, emptyPrefix: string): string {
  return block
    .split('\n')
    .map((line) => (line === '' ? emptyPrefix : `${prefix}${line}`))
    .join('\n');
}
