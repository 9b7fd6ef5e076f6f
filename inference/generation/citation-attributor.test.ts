import { describe, expect, it } from 'vitest';
import { CitationAttributor } from './citation-attributor.ts';

const passages = [
  {
    number: 1,
    text: 'Rolling back took forty minutes because the lifecycle rule deleted the previous model artifact.',
  },
  { number: 2, text: 'Code gets bigger chunks: a function split in half answers nothing.' },
];

/** Streams `text` in pieces of `size` characters and joins what comes out. */
function attribute(text: string, size = 1): { text: string; attributor: CitationAttributor } {
  const attributor = new CitationAttributor(passages);
  let out = '';
  for (let index = 0; index < text.length; index += size)
    out += attributor.push(text.slice(index, index + size));
  out += attributor.end();
  return { text: out, attributor };
}

describe('CitationAttributor', () => {
  it('cites a supported sentence after its full stop, and leaves unsupported ones alone', () => {
    for (const size of [1, 3, 1000]) {
      const { text, attributor } = attribute(
        'Rolling back took forty minutes. I like trains. Code gets bigger chunks',
        size,
      );
      expect(text).toBe('Rolling back took forty minutes. [1] I like trains. Code gets bigger chunks [2]');
      expect(attributor.changes).toEqual({ dropped: 0, added: 2 });
    }
  });

  it('keeps the model’s valid markers, drops invalid ones without leaving a double space', () => {
    expect(attribute('Rolling back took forty minutes [1]. Trains are fast [7] and loud [2, 9].').text).toBe(
      'Rolling back took forty minutes [1]. Trains are fast and loud [2].',
    );
    expect(attribute('The previous model artifact was deleted. [1] Next.').text).toBe(
      'The previous model artifact was deleted. [1] Next.',
    );
  });

  it('leaves links, indexes, unfinished markers and fenced code as written', () => {
    const answer =
      'See [1](https://x.y) and items[9].\n```\nx = a[7]. Rolling back took forty minutes.\n```\nOk [3';
    expect(attribute(answer).text).toBe(answer);
  });

  it('never cites a heading', () => {
    expect(attribute('## Rolling back took forty minutes\nIt did.').text).toBe(
      '## Rolling back took forty minutes\nIt did.',
    );
  });

  it('passes line structure through and attributes a list item at its line end', () => {
    expect(attribute('- Rolling back took forty minutes\n- Trains').text).toBe(
      '- Rolling back took forty minutes [1]\n- Trains',
    );
  });
});
