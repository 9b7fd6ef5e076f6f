/** Readable text from an HTML fragment, plus the absolute URLs of the links and images it held. */
export type RenderedText = { text: string; links: string[]; images: string[] };

const elementNode = 1;
const textNode = 3;

const ignored = new Set([
  'SCRIPT',
  'STYLE',
  'NOSCRIPT',
  'TEMPLATE',
  'SVG',
  'IFRAME',
  'BUTTON',
  'FORM',
  'INPUT',
  'SELECT',
  'TEXTAREA',
  'CANVAS',
  'OBJECT',
  'EMBED',
  'AUDIO',
  'VIDEO',
  'HEAD',
]);

const blockTags = new Set([
  'ADDRESS',
  'ARTICLE',
  'ASIDE',
  'BLOCKQUOTE',
  'BODY',
  'CAPTION',
  'CENTER',
  'DD',
  'DETAILS',
  'DIV',
  'DL',
  'DT',
  'FIELDSET',
  'FIGCAPTION',
  'FIGURE',
  'FOOTER',
  'H1',
  'H2',
  'H3',
  'H4',
  'H5',
  'H6',
  'HEADER',
  'HGROUP',
  'HR',
  'HTML',
  'LI',
  'MAIN',
  'NAV',
  'OL',
  'P',
  'PRE',
  'SECTION',
  'SUMMARY',
  'TABLE',
  'UL',
]);

type Collected = { base: string; links: Set<string>; images: Set<string> };

/**
 * Renders `root` as markdown-flavoured plain text: paragraphs separated by blank lines, headings as
 * `#` lines, list items as `- ` (or `1. `) lines, code blocks fenced with their whitespace intact,
 * quotes with `> `. Links keep only their text; their absolute URLs go to `links`.
 */
export function htmlToText(root: Element, baseUrl: string): RenderedText {
  const collected: Collected = { base: baseUrl, links: new Set(), images: new Set() };
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
  let inline = '';
  const flush = () => {
    blocks.push(...paragraphs(inline));
    inline = '';
  };
  for (const child of Array.from(parent.childNodes)) {
    if (child.nodeType === textNode) {
      inline += (child.textContent ?? '').replace(/\s+/g, ' ');
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
      inline += renderInline(element, tag, collected);
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

/** Inline content, spaces kept as they are (collapsed) so neighbouring words stay apart. */
function renderInline(element: Element, tag: string, collected: Collected): string {
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
    case 'SAMP': {
      const code = (element.textContent ?? '').replace(/\s+/g, ' ');
      return code.trim() === '' ? code : `\`${code}\``;
    }
    case 'A':
      recordLink(element, collected);
      break;
  }
  let text = '';
  for (const child of Array.from(element.childNodes)) {
    if (child.nodeType === textNode) text += (child.textContent ?? '').replace(/\s+/g, ' ');
    else if (child.nodeType === elementNode) {
      const inner = child as Element;
      const innerTag = inner.tagName.toUpperCase();
      if (!ignored.has(innerTag)) text += renderInline(inner, innerTag, collected);
    }
  }
  return text;
}

function renderBlock(element: Element, tag: string, collected: Collected): string[] {
  switch (tag) {
    case 'H1':
    case 'H2':
    case 'H3':
    case 'H4':
    case 'H5':
    case 'H6': {
      const heading = renderChildren(element, collected).join(' ').replace(/\s+/g, ' ').trim();
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
      return renderTable(element, collected);
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
  return `\`\`\`${language}\n${source}\n\`\`\``;
}

function renderTable(table: Element, collected: Collected): string[] {
  const rows = Array.from(table.querySelectorAll('tr'))
    .map((row) =>
      Array.from(row.children)
        .map((cell) => renderChildren(cell, collected).join(' ').replace(/\s+/g, ' ').trim())
        .join(' | '),
    )
    .filter((row) => row.replace(/[|\s]/g, '') !== '');
  return rows.length > 0 ? [rows.join('\n')] : [];
}

/** Prefixes each line; `emptyPrefix` is used for blank lines so quotes do not grow trailing spaces. */
function prefixLines(block: string, prefix: string, emptyPrefix: string): string {
  return block
    .split('\n')
    .map((line) => (line === '' ? emptyPrefix : `${prefix}${line}`))
    .join('\n');
}
