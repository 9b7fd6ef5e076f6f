import { mathmlText } from './mathml-text.ts';

/** How a formula was written down: TeX source, or readable text made from MathML tokens. */
export type MathNotation = 'tex' | 'text';

/** The attribute a replaced formula carries (`inline` or `display`); `htmlToText` reads it. */
export const mathAttribute = 'data-math';
export const mathNotationAttribute = 'data-math-notation';

const texEncoding = /^(application\/(x-)?tex|text\/(x-)?(la)?tex)$/i;
// MathJax 2 renders each formula into elements placed before its <script type="math/tex">.
const mathJaxFrames = [
  'MathJax_Preview',
  'MathJax',
  'MathJax_Display',
  'MathJax_SVG',
  'MathJax_SVG_Display',
  'MathJax_CHTML',
  'MJXc-display',
  'MathJax_MathML',
];

/** Wikipedia wraps every formula in `{\displaystyle …}`; the wrapper is layout, not maths. */
function withoutStyleWrapper(tex: string): string {
  const wrapped = /^\{\\(?:displaystyle|textstyle|scriptstyle)\s*([\s\S]*)\}$/.exec(tex.trim());
  return (wrapped?.[1] ?? tex).trim();
}

function looksLikeTex(text: string): boolean {
  return /[\\^_{}]/.test(text);
}

/** The best text for a MathML element: its TeX annotation, its alttext, else its tokens. */
function mathText(math: Element): { text: string; notation: MathNotation } | null {
  for (const annotation of Array.from(math.querySelectorAll('annotation'))) {
    const encoding = annotation.getAttribute('encoding') ?? '';
    const tex = annotation.textContent?.trim();
    if (texEncoding.test(encoding) && tex) return { text: withoutStyleWrapper(tex), notation: 'tex' };
  }
  const alt = math.getAttribute('alttext')?.trim();
  if (alt) {
    return looksLikeTex(alt)
      ? { text: withoutStyleWrapper(alt), notation: 'tex' }
      : { text: alt.replace(/\s+/g, ' '), notation: 'text' };
  }
  const text = mathmlText(math);
  return text ? { text, notation: 'text' } : null;
}

function replaceWith(
  target: Element,
  formula: { text: string; notation: MathNotation },
  display: boolean,
): void {
  const document = target.ownerDocument;
  // A paragraph of its own for display maths, unless it sits inside one already. (Readability
  // would rebuild a text-only <div> as a new <p>, dropping the attributes that mark it.)
  const block = display && target.parentElement?.closest('p, span, a, li, td, th, dd, dt') === null;
  const element = document.createElement(block ? 'p' : 'span');
  element.setAttribute(mathAttribute, display ? 'display' : 'inline');
  element.setAttribute(mathNotationAttribute, formula.notation);
  element.textContent = formula.text;
  target.replaceWith(element);
}

function isDisplayMath(math: Element | null): boolean {
  return math?.getAttribute('display') === 'block';
}

/**
 * Replaces every formula with one element holding its text, so that extraction keeps the maths
 * instead of the empty sentences rendered markup leaves ("When , there are two solutions"):
 * KaTeX and Wikipedia keep TeX in an annotation, MathJax 2 in a script Readability would delete,
 * MathJax 3 in assistive MathML beside glyphs that are pure CSS, and plain `<math>` in its tokens.
 */
export function replaceMathWithText(document: Document): void {
  for (const katex of Array.from(document.querySelectorAll('.katex'))) {
    const math = katex.querySelector('math');
    const formula = math ? mathText(math) : null;
    if (!formula) continue;
    const display = katex.closest('.katex-display');
    replaceWith(display ?? katex, formula, display !== null || isDisplayMath(math));
  }
  for (const wrapper of Array.from(document.querySelectorAll('.mwe-math-element'))) {
    const math = wrapper.querySelector('math');
    const alt = wrapper.querySelector('img[alt]')?.getAttribute('alt')?.trim();
    const formula = math
      ? mathText(math)
      : alt
        ? { text: withoutStyleWrapper(alt), notation: 'tex' as const }
        : null;
    if (!formula) continue;
    const display = isDisplayMath(math) || wrapper.querySelector('.mwe-math-mathml-display') !== null;
    replaceWith(wrapper, formula, display);
  }
  for (const script of Array.from(document.querySelectorAll('script[type^="math/tex"]'))) {
    const tex = script.textContent?.trim();
    if (!tex) continue;
    for (
      let previous = script.previousElementSibling;
      previous && mathJaxFrames.some((name) => previous?.classList.contains(name));
      previous = script.previousElementSibling
    ) {
      previous.remove();
    }
    const display = /mode\s*=\s*display/i.test(script.getAttribute('type') ?? '');
    replaceWith(script, { text: tex, notation: 'tex' }, display);
  }
  for (const container of Array.from(document.querySelectorAll('mjx-container'))) {
    const math = container.querySelector('math');
    const latex = container.getAttribute('data-latex')?.trim();
    const label = container.getAttribute('aria-label')?.trim();
    const formula = latex
      ? { text: latex, notation: 'tex' as const }
      : math
        ? mathText(math)
        : label
          ? { text: label, notation: 'text' as const }
          : null;
    if (!formula) continue;
    replaceWith(container, formula, container.getAttribute('display') === 'true' || isDisplayMath(math));
  }
  for (const math of Array.from(document.querySelectorAll('math'))) {
    const formula = mathText(math);
    if (formula) replaceWith(math, formula, isDisplayMath(math));
    else math.remove();
  }
}
