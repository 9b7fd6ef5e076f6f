/**
 * The paragraphs of a Markdown text whose emphasis, code or maths markers do not pair up:
 * outside fenced code, every code span must close, the unescaped `*` of a paragraph come in an
 * even number, and so do its unescaped `$` when it holds a formula (a `$` opening TeX, not a
 * price such as $30,000).
 */
export function unbalancedParagraphs(markdown: string): string[] {
  const withoutFences = markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
  return withoutFences.split(/\n{2,}/).filter((paragraph) => {
    const withoutCode = paragraph.replace(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, '');
    if (withoutCode.includes('`')) return true;
    const asterisks = withoutCode.replace(/\\\*/g, '').match(/\*/g)?.length ?? 0;
    const unescaped = withoutCode.replace(/\\\$/g, '');
    const hasFormula = /\$\$|\$[^\s\d$]/.test(unescaped);
    const dollars = unescaped.match(/\$/g)?.length ?? 0;
    return asterisks % 2 === 1 || (hasFormula && dollars % 2 === 1);
  });
}
