// Renders a model's Markdown answer as DOM nodes, with `[n]` citations linked to the sources the
// answer was given. Safe by construction: every piece of model text becomes a text node or an
// attribute value set with setAttribute, never markup, and links go only to http(s) and mailto
// URLs. No DOM globals are touched at import time; the caller passes its `document`, so the page
// and Node tests (linkedom) run the same code.
import { parseBlocks } from './markdown-blocks.js';
import { safeHref } from './markdown-inline.js';

export { parseBlocks } from './markdown-blocks.js';
export { parseInline, safeHref } from './markdown-inline.js';

/**
 * @typedef {{ index: number, title?: string | null, url?: string | null }} Source
 * @typedef {import('./markdown-blocks.js').BlockNode} BlockNode
 * @typedef {import('./markdown-inline.js').InlineNode} InlineNode
 */

/**
 * The answer as a fragment of DOM nodes.
 * @param {string} markdown
 * @param {{ document: Document, sources?: Source[] }} options
 * @returns {DocumentFragment}
 */
export function renderMarkdown(markdown, { document, sources = [] }) {
  const byNumber = new Map(sources.map((source) => [Number(source.index), source]));
  const build = (tag, attributes, children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {}))
      if (value !== null && value !== undefined && value !== '') node.setAttribute(name, String(value));
    for (const child of children ?? []) node.append(child);
    return node;
  };
  const text = (value) => document.createTextNode(value);

  /** @param {InlineNode} node */
  const inline = (node) => {
    switch (node.type) {
      case 'text':
        return text(node.text);
      case 'break':
        return build('br');
      case 'code':
        return build('code', {}, [text(node.text)]);
      case 'strong':
        return build('strong', {}, node.children.map(inline));
      case 'emphasis':
        return build('em', {}, node.children.map(inline));
      case 'link':
        return build(
          'a',
          { href: node.href, title: node.title, rel: 'noopener noreferrer nofollow', target: '_blank' },
          node.children.map(inline),
        );
      case 'citation':
        return citation(build, text, node.number, byNumber.get(node.number));
    }
  };

  /** @param {BlockNode} block @param {boolean} tight */
  const blockNodes = (block, tight = false) => {
    switch (block.type) {
      case 'paragraph':
        // In a tight list an item's text sits directly in the <li>, as Markdown renders it.
        return tight ? block.children.map(inline) : [build('p', {}, block.children.map(inline))];
      case 'heading':
        return [build(`h${block.level}`, {}, block.children.map(inline))];
      case 'code': {
        const language = /^[\w+#.-]{1,32}$/.test(block.language) ? block.language : null;
        const code = build('code', { class: language && `language-${language}` }, [text(block.text)]);
        return [build('pre', { 'data-language': language }, [code])];
      }
      case 'list': {
        const attributes = block.ordered && block.start !== 1 ? { start: block.start } : {};
        const items = block.items.map((item) =>
          build(
            'li',
            {},
            item.flatMap((child) => blockNodes(child, !block.loose)),
          ),
        );
        return [build(block.ordered ? 'ol' : 'ul', attributes, items)];
      }
      case 'quote':
        return [
          build(
            'blockquote',
            {},
            block.children.flatMap((child) => blockNodes(child)),
          ),
        ];
      case 'rule':
        return [build('hr')];
    }
  };

  const fragment = document.createDocumentFragment();
  for (const block of parseBlocks(markdown)) fragment.append(...blockNodes(block));
  return fragment;
}

/**
 * A citation of a listed source is a link to it (or, when its URL is not safe to open, a button
 * that still shows it in the list); a number no source has stays text, marked as invalid.
 */
function citation(build, text, number, source) {
  if (!source)
    return build(
      'span',
      { class: 'citation invalid', title: `No source [${number}] was given to the model` },
      [text(`[${number}]`)],
    );
  const label = source.title || source.url || `source ${number}`;
  const common = {
    class: 'citation',
    'data-source': number,
    title: label,
    'aria-label': `source ${number}: ${label}`,
  };
  const href = source.url ? safeHref(source.url) : null;
  if (!href) return build('button', { type: 'button', ...common }, [text(String(number))]);
  return build('a', { ...common, href, rel: 'noopener noreferrer nofollow', target: '_blank' }, [
    text(String(number)),
  ]);
}

/**
 * Makes `container`'s children match `fragment`'s, replacing only the top-level blocks that
 * changed: while an answer streams, the paragraphs already written stay the same nodes, so a
 * re-render does not flicker, reset a text selection or move the page.
 * @param {Element} container
 * @param {DocumentFragment} fragment
 */
export function updateChildren(container, fragment) {
  const next = [...fragment.childNodes];
  next.forEach((node, index) => {
    const current = container.childNodes[index];
    if (!current) container.append(node);
    else if (!current.isEqualNode(node)) current.replaceWith(node);
  });
  while (container.childNodes.length > next.length) container.lastChild?.remove();
}
