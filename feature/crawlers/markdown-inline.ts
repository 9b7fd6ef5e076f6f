/**
 * Wraps rendered inline text in an emphasis marker (`*` or `**`) so the markers always pair up and
 * hug the words: spaces the markup put inside the element (`<em>really </em>spend`) move outside,
 * each line of a `<br>`-broken run is wrapped on its own, and an empty run gets no markers.
 */
export function emphasize(text: string, marker: '*' | '**'): string {
  return text
    .split('\n')
    .map((line) => {
      const [, before = '', core = '', after = ''] = /^(\s*)([\s\S]*?)(\s*)$/.exec(line) ?? [];
      return core === '' ? line : `${before}${marker}${core}${marker}${after}`;
    })
    .join('\n');
}

/**
 * Inline code as CommonMark wants it: fenced by one backtick more than the longest run inside,
 * padded when it starts or ends with a backtick, surrounding spaces kept outside the fence.
 */
export function inlineCode(code: string): string {
  const [, before = '', core = '', after = ''] = /^(\s*)([\s\S]*?)(\s*)$/.exec(code) ?? [];
  if (core === '') return code;
  const longest = Math.max(0, ...(core.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = core.startsWith('`') || core.endsWith('`') ? ' ' : '';
  return `${before}${fence}${pad}${core}${pad}${fence}${after}`;
}

/** A fenced code block whose fence is longer than any run of backticks in the code. */
export function fencedCode(source: string, language = ''): string {
  const longest = Math.max(2, ...(source.match(/^ {0,3}`{3,}/gm) ?? []).map((run) => run.trim().length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${source}\n${fence}`;
}
