import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { mathmlText } from './mathml-text.ts';

function text(mathml: string): string {
  const { document } = parseHTML(`<!DOCTYPE html><html><body><math>${mathml}</math></body></html>`);
  return mathmlText(document.querySelector('math') as Element);
}

describe('mathmlText', () => {
  it('spaces infix operators, keeps prefix signs and brackets tight', () => {
    expect(text('<mi>x</mi><mo>=</mo><mo>−</mo><mi>b</mi><mo>±</mo><mn>2</mn>')).toBe('x = −b ± 2');
    expect(
      text('<mi>f</mi><mo stretchy="false">(</mo><mi>a</mi><mo>,</mo><mi>b</mi><mo stretchy="false">)</mo>'),
    ).toBe('f(a, b)');
    expect(text('<mi>sin</mi><mi>x</mi><mo>+</mo><mi>a</mi><mi>b</mi>')).toBe('sin x + ab');
  });

  it('writes scripts, fractions and roots linearly, bracketing compound operands', () => {
    expect(
      text(
        '<msub><mi>S</mi><mi>n</mi></msub><mo>=</mo><mi>a</mi><mfrac><mrow><mn>1</mn><mo>−</mo><msup><mi>r</mi><mi>n</mi></msup></mrow><mrow><mn>1</mn><mo>−</mo><mi>r</mi></mrow></mfrac>',
      ),
    ).toBe('S_n = a(1 − r^n)/(1 − r)');
    expect(
      text('<msqrt><msup><mi>b</mi><mn>2</mn></msup><mo>−</mo><mn>4</mn><mi>a</mi><mi>c</mi></msqrt>'),
    ).toBe('√(b^2 − 4ac)');
    expect(text('<mroot><mi>x</mi><mn>3</mn></mroot>')).toBe('√[3]x');
    expect(text('<msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup>')).toBe('x_i^2');
  });

  it('keeps a large operator apart from what it applies to and reads accents as marks', () => {
    expect(
      text(
        '<munderover><mo>∑</mo><mrow><mi>k</mi><mo>=</mo><mn>0</mn></mrow><mi>∞</mi></munderover><mi>a</mi><msup><mi>r</mi><mi>k</mi></msup>',
      ),
    ).toBe('∑_(k = 0)^∞ ar^k');
    expect(text('<mover accent="true"><mi>p</mi><mo>ˉ</mo></mover>')).toBe('pˉ');
  });

  it('skips annotations, phantoms and invisible operators', () => {
    expect(
      text(
        '<semantics><mrow><mi>f</mi><mo>&#x2061;</mo><mi>x</mi><mphantom><mi>y</mi></mphantom></mrow><annotation encoding="application/x-tex">f x</annotation></semantics>',
      ),
    ).toBe('fx');
  });
});
