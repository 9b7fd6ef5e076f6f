// Inline Markdown (the text inside a paragraph, heading or list item) parsed into a small tree:
// text, strong, emphasis, code, link, citation and break nodes. Pure functions over strings: no
// DOM, so the same code runs in the page and under Node tests.

/** Characters a backslash escapes, as CommonMark lists them (ASCII punctuation). */
const escapable = /[!-/:-@[-`{-~]/;
const whitespace = /\s/;
const punctuation = /[\p{P}\p{S}]/u;
/** `[1]`, `[1, 3]`: the numbers of the sources an answer cites. */
const citationPattern = /^\[(\d{1,4}(?:[ \t]*,[ \t]*\d{1,4})*)\]/;
const allowedSchemes = new Set(['http:', 'https:', 'mailto:']);

/**
 * The absolute URL to link to, or null when it is not an http, https or mailto URL (relative
 * paths and `javascript:`, `data:`, `vbscript:` URLs are never made clickable).
 * @param {string} url
 */
export function safeHref(url) {
  try {
    const parsed = new URL(url.trim());
    return allowedSchemes.has(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

/**
 * @typedef {{ type: 'text', text: string } | { type: 'break' } | { type: 'code', text: string }
 *   | { type: 'strong' | 'emphasis', children: InlineNode[] }
 *   | { type: 'link', href: string, title: string | null, children: InlineNode[] }
 *   | { type: 'citation', number: number }} InlineNode
 */

/**
 * Parses inline Markdown. Inside a link's text, links and citations are not parsed (a link in a
 * link is not clickable HTML). Markers that do not pair up stay as literal text.
 * @param {string} text
 * @param {{ links?: boolean }} [options]
 * @returns {InlineNode[]}
 */
export function parseInline(text, { links = true } = {}) {
  /** Inline nodes, and the `*`/`_` runs that may still become emphasis. */
  const nodes = [];
  let buffer = '';
  const flush = () => {
    if (buffer) nodes.push({ type: 'text', text: buffer });
    buffer = '';
  };
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    const next = text.charAt(index + 1);
    if (char === '\\' && escapable.test(next)) {
      buffer += next;
      index += 2;
    } else if (char === '\n') {
      buffer = buffer.replace(/[ \t]+$/, '');
      flush();
      nodes.push({ type: 'break' });
      index += 1;
      while (text.charAt(index) === ' ' || text.charAt(index) === '\t') index += 1;
    } else if (char === '`') {
      const span = codeSpan(text, index);
      if (span.node) {
        flush();
        nodes.push(span.node);
      } else buffer += text.slice(index, span.end);
      index = span.end;
    } else if (char === '*' || char === '_') {
      flush();
      const run = delimiterRun(text, index);
      nodes.push(run);
      index += run.count;
    } else if (char === '[' && links) {
      const bracket = citationsAt(text, index) ?? linkAt(text, index);
      if (bracket) {
        flush();
        nodes.push(...bracket.nodes);
        index = bracket.end;
      } else {
        buffer += char;
        index += 1;
      }
    } else {
      buffer += char;
      index += 1;
    }
  }
  flush();
  resolveEmphasis(nodes);
  return mergeText(nodes);
}

/** A code span from a run of backticks to the next run of the same length; else literal backticks. */
function codeSpan(text, start) {
  let end = start;
  while (text.charAt(end) === '`') end += 1;
  const fence = text.slice(start, end);
  let search = end;
  for (;;) {
    const found = text.indexOf(fence, search);
    if (found < 0) return { node: null, end };
    let after = found + fence.length;
    if (text.charAt(after) !== '`') {
      let code = text.slice(end, found).replace(/\n/g, ' ');
      if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && /[^ ]/.test(code))
        code = code.slice(1, -1);
      return { node: { type: 'code', text: code }, end: after };
    }
    while (text.charAt(after) === '`') after += 1;
    search = after;
  }
}

/** A run of `*` or `_`, with whether it may open or close emphasis (CommonMark's flanking rules). */
function delimiterRun(text, start) {
  const char = text.charAt(start);
  let end = start;
  while (text.charAt(end) === char) end += 1;
  const before = start > 0 ? text.charAt(start - 1) : ' ';
  const after = end < text.length ? text.charAt(end) : ' ';
  const leftFlanking =
    !whitespace.test(after) &&
    (!punctuation.test(after) || whitespace.test(before) || punctuation.test(before));
  const rightFlanking =
    !whitespace.test(before) &&
    (!punctuation.test(before) || whitespace.test(after) || punctuation.test(after));
  // `_` inside a word (snake_case) is never emphasis; `*` may be.
  const canOpen = char === '*' ? leftFlanking : leftFlanking && (!rightFlanking || punctuation.test(before));
  const canClose = char === '*' ? rightFlanking : rightFlanking && (!leftFlanking || punctuation.test(after));
  return { type: 'delimiter', char, count: end - start, canOpen, canClose };
}

/** `[1]`, `[1][2]` or `[1, 3]` not followed by `(` (that would be a link). */
function citationsAt(text, start) {
  const match = citationPattern.exec(text.slice(start));
  if (!match) return null;
  const end = start + match[0].length;
  if (text.charAt(end) === '(') return null;
  const numbers = (match[1] ?? '').split(',').map((number) => Number(number.trim()));
  return { nodes: numbers.map((number) => ({ type: 'citation', number })), end };
}

/** `[text](destination "title")`. A destination that is not a safe URL leaves the source as text. */
function linkAt(text, start) {
  let depth = 0;
  let close = -1;
  for (let index = start; index < text.length; index += 1) {
    const char = text.charAt(index);
    if (char === '\\') index += 1;
    else if (char === '[') depth += 1;
    else if (char === ']' && --depth === 0) {
      close = index;
      break;
    }
  }
  if (close < 0 || text.charAt(close + 1) !== '(') return null;
  const target = linkTarget(text, close + 2);
  if (!target) return null;
  const href = safeHref(target.destination);
  if (!href) return { nodes: [{ type: 'text', text: text.slice(start, target.end) }], end: target.end };
  const children = parseInline(text.slice(start + 1, close), { links: false });
  return { nodes: [{ type: 'link', href, title: target.title, children }], end: target.end };
}

/** The `destination "title")` part of a link, from just after its `(`. */
function linkTarget(text, start) {
  let index = start;
  const skipSpaces = () => {
    while (index < text.length && /[ \t\n]/.test(text.charAt(index))) index += 1;
  };
  skipSpaces();
  let destination = '';
  if (text.charAt(index) === '<') {
    const end = text.indexOf('>', index);
    if (end < 0 || /[\n<]/.test(text.slice(index + 1, end))) return null;
    destination = text.slice(index + 1, end);
    index = end + 1;
  } else {
    let depth = 0;
    const begin = index;
    while (index < text.length) {
      const char = text.charAt(index);
      if (char === '\\' && escapable.test(text.charAt(index + 1))) index += 2;
      else if (char === '(') {
        depth += 1;
        index += 1;
      } else if (char === ')' && depth > 0) {
        depth -= 1;
        index += 1;
      } else if (char === ')' || /[\s\x00-\x1f]/.test(char)) break;
      else index += 1;
    }
    destination = text.slice(begin, index);
  }
  destination = unescapePunctuation(destination);
  skipSpaces();
  let title = null;
  const quote = text.charAt(index);
  if (quote === '"' || quote === "'" || quote === '(') {
    const closing = quote === '(' ? ')' : quote;
    let end = index + 1;
    while (end < text.length && text.charAt(end) !== closing) end += text.charAt(end) === '\\' ? 2 : 1;
    if (end >= text.length) return null;
    title = unescapePunctuation(text.slice(index + 1, end));
    index = end + 1;
    skipSpaces();
  }
  if (text.charAt(index) !== ')') return null;
  return { destination, title, end: index + 1 };
}

/**
 * Pairs `*`/`_` runs into strong and emphasis nodes, closer by closer from the left (CommonMark's
 * "process emphasis", without its performance shortcuts). Runs left unpaired become text.
 */
function resolveEmphasis(nodes) {
  for (let closerIndex = 0; closerIndex < nodes.length; closerIndex += 1) {
    const closer = nodes[closerIndex];
    if (closer.type !== 'delimiter' || !closer.canClose) continue;
    let openerIndex = closerIndex - 1;
    for (; openerIndex >= 0; openerIndex -= 1) {
      const opener = nodes[openerIndex];
      if (opener.type !== 'delimiter' || opener.char !== closer.char || !opener.canOpen) continue;
      // The "rule of three": `*a**b*` is not `<em>a</em><em>b</em>`.
      const ruleOfThree =
        (opener.canClose || closer.canOpen) &&
        (opener.count + closer.count) % 3 === 0 &&
        !(opener.count % 3 === 0 && closer.count % 3 === 0);
      if (!ruleOfThree) break;
    }
    if (openerIndex < 0) continue;
    const opener = nodes[openerIndex];
    const used = opener.count >= 2 && closer.count >= 2 ? 2 : 1;
    const inner = nodes.splice(openerIndex + 1, closerIndex - openerIndex - 1).map(literal);
    nodes.splice(openerIndex + 1, 0, { type: used === 2 ? 'strong' : 'emphasis', children: inner });
    opener.count -= used;
    closer.count -= used;
    closerIndex = openerIndex + 2;
    if (opener.count === 0) {
      nodes.splice(openerIndex, 1);
      closerIndex -= 1;
    }
    if (closer.count === 0) nodes.splice(closerIndex, 1);
    // Look at the same position again: the rest of this closer, or the node after it.
    closerIndex -= 1;
  }
  nodes.splice(0, nodes.length, ...nodes.map(literal));
}

function unescapePunctuation(text) {
  return text.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

function literal(node) {
  return node.type === 'delimiter' ? { type: 'text', text: node.char.repeat(node.count) } : node;
}

function mergeText(nodes) {
  const merged = [];
  for (const node of nodes) {
    const last = merged.at(-1);
    if (node.type === 'text' && last?.type === 'text') last.text += node.text;
    else if (node.type === 'strong' || node.type === 'emphasis')
      merged.push({ ...node, children: mergeText(node.children) });
    else merged.push(node);
  }
  return merged;
}
