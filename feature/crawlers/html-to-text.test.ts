import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { htmlToText } from './html-to-text.ts';
import { replaceMathWithText } from './replace-math-with-text.ts';

function render(html: string): string {
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`);
  replaceMathWithText(document);
  return htmlToText(document.body, 'https://example.com/post').text;
}

/** Emphasis and code markers outside code spans and fences, in order, for balance checks. */
function markers(markdown: string): string[] {
  return (
    markdown
      .replace(/^```[\s\S]*?^```/gm, '')
      .replace(/(`+)[\s\S]*?\1/g, '')
      .replace(/\\\*/g, '')
      .match(/\*+/g) ?? []
  );
}

describe('htmlToText emphasis', () => {
  it('keeps markers on the words when the markup puts spaces inside the element', () => {
    expect(render('<p>How much time do I <em>really </em>spend working per day?</p>')).toBe(
      'How much time do I *really* spend working per day?',
    );
    expect(render('<p>never <b>logged </b>as anything, <strong> bold</strong>.</p>')).toBe(
      'never **logged** as anything, **bold**.',
    );
  });

  it('drops markers around nothing and never opens the same marker twice', () => {
    expect(render('<p>cutting the <em>small</em><em> </em>switches<em> </em></p>')).toBe(
      'cutting the *small* switches',
    );
    expect(
      render('<p><em>outer <i>inner</i> outer</em> and <strong>five and <em>twelve</em></strong></p>'),
    ).toBe('*outer inner outer* and **five and *twelve***');
  });

  it('wraps each line of a run broken by <br> on its own, and escapes literal asterisks inside', () => {
    expect(render('<p><em>first line<br>second line</em></p>')).toBe('*first line*\n*second line*');
    expect(render('<p><em>path=None, **overrides</em></p>')).toBe('*path=None, \\*\\*overrides*');
  });

  it('keeps links as their text and puts no emphasis in headings', () => {
    expect(render('<p>switching happens <em><a href="/x">between</a></em> them</p>')).toBe(
      'switching happens *between* them',
    );
    expect(render('<h2>How much do I <em>really</em> work?<a class="headerlink" href="#h">¶</a></h2>')).toBe(
      '## How much do I really work?',
    );
  });

  it('leaves every emphasis marker paired on a realistic paragraph mix', () => {
    const text = render(
      '<p><strong>Bold <em>and italic</em></strong><em> spaced </em>x<b></b> y <i>a</i><i>b</i> <code>a*b</code></p>',
    );
    expect(markers(text).join('').length % 2).toBe(0);
    expect(text).toBe('**Bold *and italic*** *spaced* x y *ab* `a*b`');
  });
});

describe('htmlToText inline code', () => {
  it('fences code with more backticks than it contains and keeps spaces outside', () => {
    expect(render('<p>Run <code>npm test</code> first.</p>')).toBe('Run `npm test` first.');
    expect(render('<p>The <code>`</code> character and <code>a``b</code>.</p>')).toBe(
      'The `` ` `` character and ```a``b```.',
    );
    expect(render('<p>x<code> y </code>z</p>')).toBe('x `y` z');
  });

  it('fences a code block that itself shows a fence with a longer one', () => {
    expect(render('<pre><code class="language-md">```js\nx()\n```</code></pre>')).toBe(
      '````md\n```js\nx()\n```\n````',
    );
  });
});

describe('htmlToText tables', () => {
  it('renders a grid as a Markdown table with the first row as header and | escaped', () => {
    expect(
      render(
        '<table><caption>Limits</caption><thead><tr><th>Plan</th><th>Rate</th></tr></thead><tbody><tr><td>Free</td><td><code>60</code> a|b</td></tr><tr><td>Team</td></tr></tbody></table>',
      ),
    ).toBe('Limits\n\n| Plan | Rate |\n| --- | --- |\n| Free | `60` a\\|b |\n| Team |  |');
  });

  it('does not repeat the rows of a nested table and renders cells with blocks as blocks', () => {
    expect(
      render(
        '<table><tr><td><p>Outer</p><table><tr><td>a</td><td>b</td></tr></table></td><td><pre>code()</pre></td></tr></table>',
      ),
    ).toBe('Outer\n\n| a | b |\n| --- | --- |\n\n```\ncode()\n```');
  });

  it('turns a line-numbered code table (Pygments, GitHub gists) into one code block', () => {
    expect(
      render(
        '<div class="language-python highlight"><table class="highlighttable"><tr><td class="linenos"><pre>1\n2</pre></td><td class="code"><pre><code>a = 1\nb = 2\n</code></pre></td></tr></table></div>',
      ),
    ).toBe('```python\na = 1\nb = 2\n```');
    expect(
      render(
        '<table><tr><td class="blob-num" data-line-number="1"></td><td class="blob-code">if (x) {</td></tr><tr><td class="blob-num" data-line-number="2"></td><td class="blob-code">}</td></tr></table>',
      ),
    ).toBe('```\nif (x) {\n}\n```');
  });
});

describe('htmlToText formulas and forms', () => {
  it('writes TeX between dollars, display formulas as their own block, token text as it is', () => {
    expect(
      render(
        '<p>When <span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>a</mi></mrow><annotation encoding="application/x-tex">a \\neq 0</annotation></semantics></math></span><span class="katex-html" aria-hidden="true">a≠0</span></span>, two roots:</p><math display="block"><mi>x</mi><mo>=</mo><mn>2</mn></math>',
      ),
    ).toBe('When $a \\neq 0$, two roots:\n\nx = 2');
    expect(render('<p>Euler: <script type="math/tex; mode=display">e^{i\\pi}+1=0</script></p>')).toBe(
      'Euler: $$e^{i\\pi}+1=0$$',
    );
  });

  it('escapes a literal dollar only in a paragraph that also holds a $formula$', () => {
    expect(
      render(
        '<p>It cost $5 to test <math alttext="x^2"><msup><mi>x</mi><mn>2</mn></msup></math>.</p><p>Only $5 here.</p>',
      ),
    ).toBe('It cost \\$5 to test $x^2$.\n\nOnly $5 here.');
  });

  it('keeps the text of a page wrapped in a form and drops only the controls', () => {
    expect(
      render('<form><p>Opening hours change in winter.</p><input value="x"><button>Go</button></form>'),
    ).toBe('Opening hours change in winter.');
  });

  it('drops permalink and footnote back-links but keeps footnote numbers', () => {
    expect(
      render(
        '<p>Measured.<sup><a href="#fn1">1</a></sup></p><ol><li id="fn1">At 1.5 W. <a href="#fnref1">↩︎</a></li></ol>',
      ),
    ).toBe('Measured.1\n\n1. At 1.5 W.');
  });
});
