import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { replaceMathWithText } from './replace-math-with-text.ts';

function formulas(html: string): { body: string; math: string[] } {
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`);
  replaceMathWithText(document);
  return {
    body: document.body.textContent ?? '',
    math: Array.from(document.querySelectorAll('[data-math]')).map(
      (element) =>
        `${element.tagName.toLowerCase()} ${element.getAttribute('data-math')} ${element.getAttribute('data-math-notation')}: ${element.textContent}`,
    ),
  };
}

describe('replaceMathWithText', () => {
  it('takes Wikipedia’s hidden MathML alttext without its displaystyle wrapper, and drops the fallback image', () => {
    const { body, math } = formulas(
      '<p>When <span class="mwe-math-element"><span class="mwe-math-mathml-inline" style="display: none;"><math alttext="{\\displaystyle a\\neq 0}"><semantics><mrow><mi>a</mi><mo>≠</mo><mn>0</mn></mrow><annotation encoding="application/x-tex">{\\displaystyle a\\neq 0}</annotation></semantics></math></span><img class="mwe-math-fallback-image-inline" aria-hidden="true" alt="{\\displaystyle a\\neq 0}"></span>, there are two solutions.</p>',
    );
    expect(math).toEqual(['span inline tex: a\\neq 0']);
    expect(body).toBe('When a\\neq 0, there are two solutions.');
  });

  it('takes KaTeX’s annotation and drops its rendered copy; a display formula becomes a paragraph', () => {
    const { body, math } = formulas(
      '<span class="katex-display"><span class="katex"><span class="katex-mathml"><math display="block"><semantics><mrow><mi>n</mi></mrow><annotation encoding="application/x-tex">\\binom{23}{2}</annotation></semantics></math></span><span class="katex-html" aria-hidden="true">(232​)</span></span></span>',
    );
    expect(math).toEqual(['p display tex: \\binom{23}{2}']);
    expect(body).toBe('\\binom{23}{2}');
  });

  it('takes MathJax 2’s TeX script and removes the preview and rendered frame before it', () => {
    const { body, math } = formulas(
      '<p>prior <span class="MathJax_Preview"></span><span class="MathJax" id="MathJax-Element-3-Frame"><nobr aria-hidden="true"><span class="mi">P</span></nobr><span class="MJX_Assistive_MathML"><math><mi>P</mi></math></span></span><script type="math/tex" id="MathJax-Element-3">P(H)</script>.</p>',
    );
    expect(math).toEqual(['span inline tex: P(H)']);
    expect(body).toBe('prior P(H).');
  });

  it('reads MathJax 3’s assistive MathML, whose rendered glyphs are only CSS', () => {
    const { math } = formulas(
      '<mjx-container class="MathJax" jax="CHTML" display="true"><mjx-math aria-hidden="true"><mjx-mi><mjx-c class="mjx-c1D465"></mjx-c></mjx-mi></mjx-math><mjx-assistive-mml display="block"><math display="block"><msub><mi>θ</mi><mi>t</mi></msub><mo>−</mo><mi>η</mi></math></mjx-assistive-mml></mjx-container>',
    );
    expect(math).toEqual(['p display text: θ_t − η']);
  });

  it('uses a plain MathML formula’s tokens, or an alttext that is not TeX as it is', () => {
    const { math } = formulas(
      '<p><math><mi>r</mi><mo>≠</mo><mn>1</mn></math> and <math alttext="x squared"><msup><mi>x</mi><mn>2</mn></msup></math></p>',
    );
    expect(math).toEqual(['span inline text: r ≠ 1', 'span inline text: x squared']);
  });
});
