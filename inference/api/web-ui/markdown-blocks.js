// Block-level Markdown (paragraphs, headings, fenced code, lists, blockquotes, rules) parsed into a
// small tree whose text is parsed by markdown-inline.js. Pure functions over strings: no DOM.
// It covers what model answers use, not all of CommonMark: no setext headings, indented code,
// tables, reference links or HTML (HTML stays text).
import { parseInline } from './markdown-inline.js';

const fencePattern = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const headingPattern = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const rulePattern = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const quotePattern = /^ {0,3}> ?/;
const bulletPattern = /^( {0,3})([-*+])(?:([ \t]+)(.*))?$/;
const orderedPattern = /^( {0,3})(\d{1,9})([.)])(?:([ \t]+)(.*))?$/;

/**
 * @typedef {import('./markdown-inline.js').InlineNode} InlineNode
 * @typedef {{ type: 'paragraph', children: InlineNode[] }
 *   | { type: 'heading', level: number, children: InlineNode[] }
 *   | { type: 'code', language: string, text: string }
 *   | { type: 'list', ordered: boolean, start: number, loose: boolean, items: BlockNode[][] }
 *   | { type: 'quote', children: BlockNode[] }
 *   | { type: 'rule' }} BlockNode
 */

/**
 * Parses Markdown into blocks. Any prefix of an answer parses: an unclosed fence runs to the end,
 * so a code block being streamed is shown as code from its first line.
 * @param {string} markdown
 * @returns {BlockNode[]}
 */
export function parseBlocks(markdown) {
  const lines = markdown
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/^\t+/, (tabs) => '    '.repeat(tabs.length)));
  return blocks(lines);
}

function blocks(lines) {
  const out = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    if (isBlank(line)) {
      index += 1;
      continue;
    }
    const fence = openingFence(line);
    const heading = headingPattern.exec(line);
    if (fence) {
      const body = [];
      index += 1;
      while (index < lines.length && !closesFence(lines[index] ?? '', fence)) {
        body.push(stripIndent(lines[index] ?? '', fence.indent));
        index += 1;
      }
      index += 1;
      out.push({ type: 'code', language: fence.language, text: body.join('\n') });
    } else if (heading) {
      out.push({ type: 'heading', level: heading[1]?.length ?? 1, children: parseInline(heading[2] ?? '') });
      index += 1;
    } else if (rulePattern.test(line)) {
      out.push({ type: 'rule' });
      index += 1;
    } else if (quotePattern.test(line)) {
      const quoted = [];
      while (index < lines.length) {
        const next = lines[index] ?? '';
        if (quotePattern.test(next)) quoted.push(next.replace(quotePattern, ''));
        // A lazy line continues the quote's paragraph.
        else if (!isBlank(next) && !startsBlock(next) && !isBlank(quoted.at(-1) ?? '')) quoted.push(next);
        else break;
        index += 1;
      }
      out.push({ type: 'quote', children: blocks(quoted) });
    } else if (listMarker(line)) {
      index = list(lines, index, out);
    } else {
      const start = index;
      index += 1;
      while (index < lines.length && !isBlank(lines[index] ?? '') && !startsBlock(lines[index] ?? ''))
        index += 1;
      const text = lines
        .slice(start, index)
        .map((part) => part.trimStart())
        .join('\n');
      out.push({ type: 'paragraph', children: parseInline(text.trimEnd()) });
    }
  }
  return out;
}

/**
 * A list and its items, from the line at `start`; returns the index after it. A line belongs to
 * the current item when it is indented at least two columns past the item's marker (or up to
 * its text), so lists nested by two or by four spaces both nest.
 */
function list(lines, start, out) {
  const first = listMarker(lines[start] ?? '');
  if (!first) return start + 1;
  const node = { type: 'list', ordered: first.ordered, start: first.number, loose: false, items: [] };
  let item = { marker: first, lines: [first.text] };
  let index = start + 1;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    const marker = listMarker(line);
    const inside = Math.min(item.marker.content, item.marker.indent + 2);
    if (marker && marker.indent < inside) {
      if (marker.ordered !== first.ordered) break;
      node.items.push(blocks(item.lines));
      item = { marker, lines: [marker.text] };
    } else if (isBlank(line)) {
      let next = index;
      while (next < lines.length && isBlank(lines[next] ?? '')) next += 1;
      const following = lines[next] ?? '';
      const followingMarker = listMarker(following);
      if (next < lines.length && indentOf(following) >= inside) {
        item.lines.push(...lines.slice(index, next).map(() => ''));
      } else if (
        followingMarker &&
        followingMarker.ordered === first.ordered &&
        followingMarker.indent < inside
      ) {
        // Items separated by a blank line: a loose list, whose items are paragraphs.
      } else break;
      node.loose = true;
      index = next;
      continue;
    } else if (indentOf(line) >= inside) {
      item.lines.push(line.slice(Math.min(indentOf(line), item.marker.content)));
    } else if (!marker && !startsBlock(line) && !isBlank(item.lines.at(-1) ?? '')) {
      item.lines.push(line.trimStart());
    } else break;
    index += 1;
  }
  node.items.push(blocks(item.lines));
  out.push(node);
  return index;
}

/** A list item's marker: its indent, the column its text starts at, and the text. */
function listMarker(line) {
  const bullet = bulletPattern.exec(line);
  const ordered = bullet ? null : orderedPattern.exec(line);
  const match = bullet ?? ordered;
  if (!match || rulePattern.test(line)) return null;
  const indent = match[1]?.length ?? 0;
  const marker = bullet ? 1 : (match[2]?.length ?? 1) + 1;
  const spaces = (bullet ? match[3] : match[4]) ?? ' ';
  // Five or more spaces after a marker mean one space, then text that happens to be indented.
  const gap = spaces.length > 4 ? 1 : spaces.length;
  const text = (bullet ? match[4] : match[5]) ?? '';
  return {
    ordered: !bullet,
    number: bullet ? 1 : Number(match[2]),
    indent,
    content: indent + marker + gap,
    text: spaces.length > 4 ? spaces.slice(1) + text : text,
  };
}

/** Whether a line ends a paragraph by starting another block (a list only if it has text, and an
 * ordered one only from 1, so "in\n2024. it rained" stays one paragraph). */
function startsBlock(line) {
  if (openingFence(line) || headingPattern.test(line) || rulePattern.test(line) || quotePattern.test(line))
    return true;
  const marker = listMarker(line);
  return marker !== null && marker.text.trim() !== '' && (!marker.ordered || marker.number === 1);
}

function openingFence(line) {
  const match = fencePattern.exec(line);
  if (!match) return null;
  const fence = match[2] ?? '```';
  const info = (match[3] ?? '').trim();
  if (fence.startsWith('`') && info.includes('`')) return null;
  return { indent: match[1]?.length ?? 0, fence, language: info.split(/\s+/)[0] ?? '' };
}

function closesFence(line, fence) {
  const match = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  const closing = match?.[1] ?? '';
  return closing.startsWith(fence.fence.charAt(0)) && closing.length >= fence.fence.length;
}

function stripIndent(line, count) {
  return line.slice(Math.min(count, indentOf(line)));
}

function indentOf(line) {
  return /^ */.exec(line)?.[0].length ?? 0;
}

function isBlank(line) {
  return line.trim() === '';
}
