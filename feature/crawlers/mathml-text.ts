/**
 * Readable text for a MathML element from its tokens alone, for formulas that carry no TeX source
 * (`alttext` or an `application/x-tex` annotation): `<msub><mi>S</mi><mi>n</mi></msub><mo>=</mo>…`
 * becomes `S_n = …`, fractions `a/(1 − r)`, roots `√(x)`.
 */
export function mathmlText(element: Element): string {
  return render(element).replace(/\s+/g, ' ').trim();
}

type Piece = { text: string; kind: 'operator' | 'open' | 'close' | 'punctuation' | 'word' | 'atom' };

const opening = new Set(['(', '[', '{', '⟨', '⌈', '⌊']);
const closing = new Set([')', ']', '}', '⟩', '⌉', '⌋']);
// Followed by a space, never preceded by one.
const separating = new Set([',', ';']);
// Glued to what comes before: a full stop, primes, factorial.
const trailing = new Set(['.', '′', '″', "'", '!']);
// Function application, invisible times, separator and plus: meaning for speech, nothing to read.
const invisible = /[\u2061-\u2064]/g;

function tag(element: Element): string {
  return element.localName.toLowerCase();
}

function tokenText(element: Element): string {
  return (element.textContent ?? '').replace(invisible, '').replace(/\s+/g, ' ').trim();
}

/** An operand that needs brackets to stay one operand after a `^`, `_` or `/`. */
function grouped(text: string): string {
  return [...text].length === 1 || /^[\p{L}\p{N}.]+$/u.test(text) || /^\(.*\)$/.test(text)
    ? text
    : `(${text})`;
}

function pieceOf(element: Element): Piece | null {
  const name = tag(element);
  if (name === 'mo') {
    const text = tokenText(element);
    if (text === '') return null;
    if (opening.has(text)) return { text, kind: 'open' };
    if (closing.has(text)) return { text, kind: 'close' };
    if (separating.has(text) || trailing.has(text)) return { text, kind: 'punctuation' };
    return { text, kind: 'operator' };
  }
  const text = render(element).trim();
  if (text === '') return null;
  // A name such as sin or log reads apart from its argument (single letters multiply), and so do a
  // fraction and a large operator such as a sum with its limits.
  const base = element.firstElementChild;
  if (
    (name === 'mi' && [...text].length > 1) ||
    name === 'mfrac' ||
    (/^m(sub|sup|subsup|under|over|underover)$/.test(name) && base !== null && tag(base) === 'mo')
  ) {
    return { text, kind: 'word' };
  }
  return { text, kind: 'atom' };
}

/** Joins a row of pieces the way the formula is read: spaced infix operators, tight brackets. */
function joinRow(children: Element[]): string {
  let text = '';
  let previous: Piece | null = null;
  for (const child of children) {
    const piece = pieceOf(child);
    if (!piece) continue;
    const prefix =
      previous === null || previous.kind === 'operator' || previous.kind === 'open' || text.endsWith(' ');
    switch (piece.kind) {
      case 'operator':
        text += prefix ? piece.text : ` ${piece.text} `;
        break;
      case 'punctuation':
        text = text.trimEnd() + piece.text + (separating.has(piece.text) ? ' ' : '');
        break;
      case 'close':
        text = text.trimEnd() + piece.text;
        break;
      default:
        if (previous?.kind === 'word' && piece.kind !== 'open') text += ' ';
        text += piece.text;
    }
    previous = piece;
  }
  return text;
}

function render(element: Element): string {
  const children = Array.from(element.children);
  const [first, second, third] = children.map((child) => render(child).trim());
  switch (tag(element)) {
    case 'mi':
    case 'mn':
    case 'mo':
    case 'mtext':
      return tokenText(element);
    case 'ms':
      return `"${tokenText(element)}"`;
    case 'mspace':
      return ' ';
    case 'mphantom':
    case 'annotation':
    case 'annotation-xml':
    case 'none':
    case 'mprescripts':
      return '';
    case 'semantics':
    case 'maction':
      return children[0] ? render(children[0]) : '';
    case 'msup':
      return `${first ?? ''}^${grouped(second ?? '')}`;
    case 'msub':
      return `${first ?? ''}_${grouped(second ?? '')}`;
    case 'msubsup':
      return `${first ?? ''}_${grouped(second ?? '')}^${grouped(third ?? '')}`;
    case 'munder':
      return element.getAttribute('accentunder') === 'true'
        ? `${first ?? ''}${second ?? ''}`
        : `${first ?? ''}_${grouped(second ?? '')}`;
    case 'mover':
      return element.getAttribute('accent') === 'true'
        ? `${first ?? ''}${second ?? ''}`
        : `${first ?? ''}^${grouped(second ?? '')}`;
    case 'munderover':
      return `${first ?? ''}_${grouped(second ?? '')}^${grouped(third ?? '')}`;
    case 'mfrac':
      return `${grouped(first ?? '')}/${grouped(second ?? '')}`;
    case 'msqrt':
      return `√${grouped(joinRow(children))}`;
    case 'mroot':
      return `√[${second ?? ''}]${grouped(first ?? '')}`;
    case 'mfenced': {
      const open = element.getAttribute('open') ?? '(';
      const close = element.getAttribute('close') ?? ')';
      const separator = (element.getAttribute('separators') ?? ',').trim().charAt(0) || ',';
      return `${open}${children.map((child) => render(child).trim()).join(`${separator} `)}${close}`;
    }
    case 'mtable':
      return children.map((row) => render(row).trim()).join('; ');
    case 'mtr':
    case 'mlabeledtr':
      return children.map((cell) => render(cell).trim()).join(' ');
    default:
      // math, mrow, mstyle, mpadded, menclose, merror, mtd and anything unknown: a row.
      return joinRow(children);
  }
}
