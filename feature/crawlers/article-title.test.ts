import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { mainHeadingsOf, siteNamesOf, titleParts, withoutSiteName } from './article-title.ts';

describe('withoutSiteName', () => {
  it('drops a trailing or leading site name it knows', () => {
    const siteNames = ['Acme Engineering', 'DevNotes', 'Wikipedia'];
    expect(withoutSiteName('How we cut latency – Acme Engineering', { siteNames, headings: [] })).toEqual({
      title: 'How we cut latency',
      confirmed: false,
    });
    expect(withoutSiteName('DevNotes · Understanding closures', { siteNames, headings: [] }).title).toBe(
      'Understanding closures',
    );
    // A name the site goes by for short still counts ("MDN" for "MDN Web Docs").
    expect(withoutSiteName('flatMap() | MDN', { siteNames: ['MDN Web Docs'], headings: [] }).title).toBe(
      'flatMap()',
    );
  });

  it('keeps a title that really contains a separator', () => {
    expect(
      withoutSiteName('Rust vs. Go - A Practical Comparison | Example Blog', {
        siteNames: ['Example Blog'],
        headings: [],
      }).title,
    ).toBe('Rust vs. Go - A Practical Comparison');
    expect(withoutSiteName('Git - the simple guide', { siteNames: [], headings: [] }).title).toBe(
      'Git - the simple guide',
    );
    // "e-mail" and "1/2" have no spaces around their marks: not separators.
    expect(titleParts('e-mail at 1/2 speed').parts).toEqual(['e-mail at 1/2 speed']);
  });

  it('takes the run of parts that the page’s main heading confirms, and says so', () => {
    expect(
      withoutSiteName('Quantifying Productivity | A. Author’s blog', {
        siteNames: [],
        headings: ['Quantifying Productivity'],
      }),
    ).toEqual({ title: 'Quantifying Productivity', confirmed: true });
    expect(
      withoutSiteName('Array.prototype.flatMap() - JavaScript | MDN', {
        siteNames: [],
        headings: ['Array.prototype.flatMap()'],
      }).title,
    ).toBe('Array.prototype.flatMap()');
    // A heading that is the site's own name (a logo in an <h1>) confirms nothing.
    expect(
      withoutSiteName('Bayes’ rule · Probably Approximately', {
        siteNames: ['Probably Approximately'],
        headings: ['Probably Approximately', 'Bayes’ rule'],
      }).title,
    ).toBe('Bayes’ rule');
  });
});

describe('siteNamesOf and mainHeadingsOf', () => {
  it('reads og:site_name, application-name, the publisher and the text of links home', () => {
    const { document } = parseHTML(`<!DOCTYPE html><html><head>
      <meta property="og:site_name" content="Notes from the Shed"><meta name="application-name" content="Shed">
      </head><body><header><a href="https://shed.example/">Shed Notes</a><a href="/"><img alt="Shed logo" src="/l.png"></a>
      <a href="/about">About</a></header><h1>Standing desks</h1><h1> </h1></body></html>`);
    expect(siteNamesOf(document, 'https://shed.example/2024/desk', 'Shed Ltd')).toEqual([
      'Notes from the Shed',
      'Shed',
      'Shed Ltd',
      'Shed Notes',
      'Shed logo',
    ]);
    expect(mainHeadingsOf(document)).toEqual(['Standing desks']);
  });
});
