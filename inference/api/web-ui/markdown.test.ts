import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { renderMarkdown, type Source, safeHref, updateChildren } from './markdown.js';

const { document } = parseHTML('<!doctype html><html><body></body></html>') as unknown as {
  document: Document;
};
const sources: Source[] = [
  { index: 1, title: 'Small models', url: 'https://example.com/small' },
  { index: 2, title: 'Evaluation', url: 'https://example.com/evaluation' },
  { index: 3, title: 'Scraped <b>page</b>', url: 'javascript:alert(1)' },
];

/** The rendered answer as HTML with sorted attributes, so expectations do not depend on linkedom's order. */
function render(markdown: string, given: Source[] = sources): string {
  const container = document.createElement('div');
  container.append(renderMarkdown(markdown, { document, sources: given }));
  return Array.from(container.childNodes).map(serialize).join('');
}

function serialize(node: Node): string {
  if (node.nodeType !== 1) return (node.textContent ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const element = node as Element;
  const tag = element.tagName.toLowerCase();
  const attributes = Array.from(element.attributes)
    .map(
      (attribute) => ` ${attribute.name}="${attribute.value.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`,
    )
    .sort()
    .join('');
  if (tag === 'br' || tag === 'hr') return `<${tag}${attributes}>`;
  return `<${tag}${attributes}>${Array.from(element.childNodes).map(serialize).join('')}</${tag}>`;
}

const link = 'rel="noopener noreferrer nofollow" target="_blank"';
const cite = (number: 1 | 2) => {
  const [title, url] = number === 1 ? ['Small models', 'small'] : ['Evaluation', 'evaluation'];
  return `<a aria-label="source ${number}: ${title}" class="citation" data-source="${number}" href="https://example.com/${url}" ${link} title="${title}">${number}</a>`;
};
const invalid = (number: number) =>
  `<span class="citation invalid" title="No source [${number}] was given to the model">[${number}]</span>`;

describe('renderMarkdown', () => {
  it('renders paragraphs, line breaks and headings of every level', () => {
    expect(render('First line\nsecond line  \nthird.\n\nNext paragraph.')).toBe(
      '<p>First line<br>second line<br>third.</p><p>Next paragraph.</p>',
    );
    expect(render('# One\n## Two ##\n### Three\n#### Four\n##### Five\n###### Six\n####### Seven')).toBe(
      '<h1>One</h1><h2>Two</h2><h3>Three</h3><h4>Four</h4><h5>Five</h5><h6>Six</h6><p>####### Seven</p>',
    );
    // A hash without a space is a hashtag, not a heading.
    expect(render('#smallmodels are fine')).toBe('<p>#smallmodels are fine</p>');
    expect(render('Intro\n## Heading right after')).toBe('<p>Intro</p><h2>Heading right after</h2>');
  });

  it('renders bold, italic with either marker, nesting and inline code', () => {
    expect(render('**bold** *italic* _italic_ ***both*** *a **b** c*')).toBe(
      '<p><strong>bold</strong> <em>italic</em> <em>italic</em> <em><strong>both</strong></em> <em>a <strong>b</strong> c</em></p>',
    );
    // `_` inside a word is not emphasis: identifiers survive.
    expect(render('snake_case_name and __init__')).toBe('<p>snake_case_name and <strong>init</strong></p>');
    expect(render('Run `npm test` and ``a ` b``.')).toBe(
      '<p>Run <code>npm test</code> and <code>a ` b</code>.</p>',
    );
    expect(render('Escaped \\*stars\\* and \\[1]')).toBe('<p>Escaped *stars* and [1]</p>');
  });

  it('leaves unbalanced markers as literal text', () => {
    expect(render('*really')).toBe('<p>*really</p>');
    expect(render('**really _not')).toBe('<p>**really _not</p>');
    expect(render('2 * 3 * 4 is 24')).toBe('<p>2 * 3 * 4 is 24</p>');
    expect(render('an `unclosed code span')).toBe('<p>an `unclosed code span</p>');
    expect(render('[half a link](https://example.com')).toBe('<p>[half a link](https://example.com</p>');
    // CommonMark: the spare star stays text; the rest pairs.
    expect(render('**bold*')).toBe('<p>*<em>bold</em></p>');
  });

  it('renders fenced code literally, with its language, even unclosed while streaming', () => {
    expect(render('Before:\n```ts\nconst a = "[1] **not bold** <b>";\n  indented();\n```\nAfter [1].')).toBe(
      '<p>Before:</p><pre data-language="ts"><code class="language-ts">const a = "[1] **not bold** &lt;b>";\n  indented();</code></pre>' +
        `<p>After ${cite(1)}.</p>`,
    );
    expect(render('~~~\n# not a heading\n~~~')).toBe('<pre><code># not a heading</code></pre>');
    expect(render('```python\nprint(1)')).toBe(
      '<pre data-language="python"><code class="language-python">print(1)</code></pre>',
    );
    // A language that is not a plain word is dropped, not put into a class.
    expect(render('```a" onclick="x\ny\n```')).toBe('<pre><code>y</code></pre>');
  });

  it('renders bullet and numbered lists, nested by two or four spaces, tight and loose', () => {
    expect(render('- one\n- two\n  - two a\n    - two a i\n* three')).toBe(
      '<ul><li>one</li><li>two<ul><li>two a<ul><li>two a i</li></ul></li></ul></li><li>three</li></ul>',
    );
    expect(render('Steps:\n1. Crawl\n2. Clean\n    * strip HTML\n    * dedupe\n3. Chunk')).toBe(
      '<p>Steps:</p><ol><li>Crawl</li><li>Clean<ul><li>strip HTML</li><li>dedupe</li></ul></li><li>Chunk</li></ol>',
    );
    expect(render('3. three\n4. four')).toBe('<ol start="3"><li>three</li><li>four</li></ol>');
    expect(render('1. **First**\n\n   Why it matters.\n\n2. Second')).toBe(
      '<ol><li><p><strong>First</strong></p><p>Why it matters.</p></li><li><p>Second</p></li></ol>',
    );
    expect(render('- item\n\nAfter the list.')).toBe('<ul><li>item</li></ul><p>After the list.</p>');
    // A year in a sentence does not start a list.
    expect(render('It was\n2024. A good year.')).toBe('<p>It was<br>2024. A good year.</p>');
  });

  it('renders blockquotes, horizontal rules and links', () => {
    expect(render('> quoted **text**\n> - a list\n\nafter')).toBe(
      '<blockquote><p>quoted <strong>text</strong></p><ul><li>a list</li></ul></blockquote><p>after</p>',
    );
    expect(render('a\n\n---\n\n* * *\n___')).toBe('<p>a</p><hr><hr><hr>');
    expect(
      render('See [the post](https://example.com/a_(b) "A title") or [mail](mailto:me@example.com).'),
    ).toBe(
      `<p>See <a href="https://example.com/a_(b)" ${link} title="A title">the post</a> or <a href="mailto:me@example.com" ${link}>mail</a>.</p>`,
    );
    expect(render('[**bold** link](http://example.com)')).toBe(
      `<p><a href="http://example.com/" ${link}><strong>bold</strong> link</a></p>`,
    );
  });

  it('shows raw HTML as text and never makes an unsafe URL clickable', () => {
    expect(render('<img src=x onerror=alert(1)> and <script>alert(1)</script>')).toBe(
      '<p>&lt;img src=x onerror=alert(1)> and &lt;script>alert(1)&lt;/script></p>',
    );
    expect(render('<div>\n**x**\n</div>')).toBe('<p>&lt;div><br><strong>x</strong><br>&lt;/div></p>');
    for (const url of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      '/relative/path',
      '//evil.example.com/x',
      'javascript&#58;alert(1)',
      'file:///etc/passwd',
    ]) {
      expect(render(`[x](${url})`)).toBe(`<p>[x](${url.replace(/&/g, '&amp;').replace(/</g, '&lt;')})</p>`);
      expect(safeHref(url)).toBeNull();
    }
    // The URL parser drops tabs and newlines, so an obfuscated scheme is still seen as javascript:.
    expect(safeHref('java\tscript:alert(1)')).toBeNull();
    expect(safeHref(' https://example.com/a b ')).toBe('https://example.com/a%20b');
    // Link text is text too, and a link inside link text is not a second link.
    expect(render('[<img src=x onerror=alert(1)> [inner](https://b.example)](https://a.example)')).toBe(
      `<p><a href="https://a.example/" ${link}>&lt;img src=x onerror=alert(1)> [inner](https://b.example)</a></p>`,
    );
    expect(render('[x](https://example.com "\\" onmouseover=\\"alert(1)")')).toBe(
      `<p><a href="https://example.com/" ${link} title="&quot; onmouseover=&quot;alert(1)">x</a></p>`,
    );
  });

  it('turns listed citations into links to their sources and marks the others invalid', () => {
    expect(render('Ship small [1].')).toBe(`<p>Ship small ${cite(1)}.</p>`);
    expect(render('Both [1][2], listed [1, 2], and [2,1].')).toBe(
      `<p>Both ${cite(1)}${cite(2)}, listed ${cite(1)}${cite(2)}, and ${cite(2)}${cite(1)}.</p>`,
    );
    expect(render('Not given [7], partly [2, 9].')).toBe(
      `<p>Not given ${invalid(7)}, partly ${cite(2)}${invalid(9)}.</p>`,
    );
    expect(render('No sources at all [1].', [])).toBe(`<p>No sources at all ${invalid(1)}.</p>`);
    // A source whose URL is not safe is still shown in the list: a button, not a link.
    expect(render('[3]')).toBe(
      '<p><button aria-label="source 3: Scraped <b>page</b>" class="citation" data-source="3" title="Scraped <b>page</b>" type="button">3</button></p>',
    );
    // `[text](url)` is a link, even when its text is a number; `[1]` in code stays literal.
    expect(render('[1](https://example.com/other) and `x[1]`')).toBe(
      `<p><a href="https://example.com/other" ${link}>1</a> and <code>x[1]</code></p>`,
    );
    expect(render('**bold [1]** and a heading:\n# Title [2]')).toBe(
      `<p><strong>bold ${cite(1)}</strong> and a heading:</p><h1>Title ${cite(2)}</h1>`,
    );
    expect(render('[note] and [1a] and [ 1 ]')).toBe('<p>[note] and [1a] and [ 1 ]</p>');
  });

  it('touches no DOM global: the document is the one it is given', () => {
    expect('document' in globalThis).toBe(false);
    const fragment = renderMarkdown('**x**', { document });
    expect(fragment.ownerDocument).toBe(document);
  });
});

describe('updateChildren', () => {
  it('keeps the blocks that did not change as the same nodes while an answer streams', () => {
    const answer = '## Small models\n\nI’d rather ship a **small model** [1].\n\n- evaluation first';
    const container = document.createElement('div');
    updateChildren(container, renderMarkdown(answer.slice(0, answer.indexOf(' **')), { document, sources }));
    const heading = container.firstChild;
    const paragraph = container.childNodes[1];
    expect(serialize(container)).toBe('<div><h2>Small models</h2><p>I’d rather ship a</p></div>');

    updateChildren(container, renderMarkdown(answer, { document, sources }));
    expect(container.firstChild).toBe(heading);
    expect(container.childNodes[1]).not.toBe(paragraph);
    expect(serialize(container)).toBe(
      `<div><h2>Small models</h2><p>I’d rather ship a <strong>small model</strong> ${cite(1)}.</p><ul><li>evaluation first</li></ul></div>`,
    );

    updateChildren(container, renderMarkdown('Rewritten.', { document, sources }));
    expect(serialize(container)).toBe('<div><p>Rewritten.</p></div>');
  });
});
