import { describe, expect, it } from 'vitest';
import { cleanQuery, cleanText } from './clean-text.ts';

describe('cleanText', () => {
  it('normalises prose: unicode, invisible characters, quotes, whitespace and emphasis', () => {
    const raw =
      '\uFEFF𝗙𝗲𝗮𝘁𝘂𝗿𝗲 stores\u200B   matter.\r\n\r\n\r\n\r\nThey’re **the contract**, not _an afterthought_.\u00A0 🚀';
    expect(cleanText(raw, 'post')).toBe(
      `Feature stores matter.\n\nThey're the contract, not an afterthought. 🚀`,
    );
  });

  it('strips emphasis next to punctuation and Markdown escapes, and leaves asterisks inside words', () => {
    expect(
      cleanText('“*really*” (*so*) **five and *twelve***. *path=None*, *\\*\\*overrides*', 'article'),
    ).toBe('"really" (so) five and twelve. path=None, **overrides');
    expect(cleanText('snake_case_name and 2*3*4 cost \\$5', 'article')).toBe(
      'snake_case_name and 2*3*4 cost $5',
    );
  });

  it('keeps emoji sequences joined', () => {
    expect(cleanText('Team work 👩‍💻👍🏽 ❤️', 'post')).toBe('Team work 👩‍💻👍🏽 ❤️');
  });

  it('drops tracking parameters but keeps the rest of a link', () => {
    const text =
      'See https://example.com/post?id=7&utm_source=x&fbclid=abc. And https://example.com/a?utm_medium=y';
    expect(cleanText(text, 'article')).toBe('See https://example.com/post?id=7. And https://example.com/a');
  });

  it('removes publishing boilerplate lines and keeps the author’s own lines', () => {
    const text = [
      'Training-serving skew is a bug in your pipeline, not your model.',
      'Subscribe to my newsletter for more!',
      'Share this post',
      'Thanks for reading, see you next week.',
      'Originally published at https://blog.example.com on May 1.',
      'I learned that the hard way.',
    ].join('\n');
    expect(cleanText(text, 'article')).toBe(
      'Training-serving skew is a bug in your pipeline, not your model.\nI learned that the hard way.',
    );
  });

  it('keeps fenced code inside articles indented', () => {
    const text = 'Here:\n\n```python\ndef f(x):\n    return  x  *  2\n```\n\nDone.';
    expect(cleanText(text, 'article')).toBe(text);
  });

  it('leaves repository code byte-for-byte apart from control characters', () => {
    const code = 'def f(x):\r\n\treturn x  # two  spaces\n\n\n\nclass A:\n    pass\n\u0000';
    expect(cleanText(code, 'repository')).toBe(code.replace('\u0000', ''));
  });

  it('cleans a query the way posts are cleaned, and cleaning is idempotent', () => {
    const once = cleanText('  What is **training-serving skew**?\u200B ', 'post');
    expect(cleanQuery('  What is **training-serving skew**?\u200B ')).toBe(once);
    expect(cleanText(once, 'post')).toBe(once);
  });
});
