import { describe, expect, it } from 'vitest';
import type { CleanedDocument } from '../../core/types/cleaned-document.ts';
import { sampleDocuments } from './__fixtures__/dataset-test-stores.ts';
import { filterExamples } from './filters.ts';
import { generateOfflineInstructions, offlinePrompts } from './offline-instruction-generator.ts';

const sample = sampleDocuments();
const titled = (prefix: string) => {
  const document = sample.find((entry) => entry.title.startsWith(prefix));
  if (!document) throw new Error(`no sample document titled ${prefix}`);
  return document;
};
const generate = (documents: CleanedDocument[], maxAnswerCharacters = 6000) =>
  generateOfflineInstructions(documents, { maxAnswerCharacters });
const instructionsOf = (documents: CleanedDocument[]) => generate(documents).map((pair) => pair.instruction);

function inline(overrides: Partial<CleanedDocument>): CleanedDocument {
  return {
    documentId: 'doc-inline',
    featureSetId: 'fs_000000000000',
    authorId: 'noor-halvorsen',
    platform: 'web',
    category: 'article',
    url: 'https://noorhalvorsen.example/posts/inline.html',
    title: 'Inline',
    text: '',
    sourceHash: 'a'.repeat(64),
    publishedAt: null,
    cleanedAt: '2026-05-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('generateOfflineInstructions', () => {
  it('asks for a whole article by its title and answers with the article', () => {
    const article = titled('A feature store is a contract');
    const [pair] = generate([article]);
    expect(pair).toEqual({
      instruction: 'Write an article titled "A feature store is a contract, not a database".',
      answer: article.text,
      kind: 'title-to-article',
      sourceDocumentId: article.documentId,
    });
  });

  it('cuts a long answer at the last paragraph break that fits, never inside a code block', () => {
    const article = titled('A feature store is a contract');
    const [pair] = generate([article], 1000);
    const answer = pair?.answer ?? '';
    expect(answer.length).toBeLessThanOrEqual(1000);
    expect(answer.length).toBeGreaterThan(500);
    expect(article.text.startsWith(answer)).toBe(true);
    expect(article.text.slice(answer.length, answer.length + 2)).toBe('\n\n');

    // The skew-check code block starts at ~3000 characters; a limit inside it cuts before the fence.
    const fence = article.text.indexOf('```python');
    const [cut] = generate([article], fence + 100);
    expect(cut?.answer).not.toContain('```');
    expect(cut?.answer.endsWith('ten minutes:')).toBe(true);
  });

  it('makes one pair per section, a section running to the next heading of its level', () => {
    const article = titled('A feature store is a contract');
    const sections = generate([article]).filter((pair) => pair.kind === 'heading-to-section');
    expect(sections.map((pair) => pair.instruction)).toEqual(
      [
        'The bug',
        'What changed my mind',
        'The contract has clauses',
        'The same holds for LLM apps',
        'The sticky note version',
      ].map(
        (heading) =>
          `Write the section "${heading}" of your article "A feature store is a contract, not a database".`,
      ),
    );
    const bug = sections[0]?.answer ?? '';
    expect(bug.startsWith('At the grocery startup we had a feature called `days_since_last_order`.')).toBe(
      true,
    );
    expect(bug.endsWith('because nothing crashes.')).toBe(true);
    expect(bug).not.toContain('## ');
    // The Python comment-free code block stays whole inside its section.
    const clauses = sections[2]?.answer ?? '';
    expect(clauses).toContain('```python\ndef test_days_since_last_order_has_no_skew');
    expect(clauses.match(/```/g)).toHaveLength(2);
  });

  it('nests subsections in their section, skips a leading subtitle and ignores # lines in code', () => {
    const text = [
      '#### A subtitle, not a section',
      'Opening paragraph of the piece, long enough to be an answer on its own in a dataset.',
      '## Outer',
      'Outer text.',
      '### Inner',
      'Inner text.',
      '```bash',
      '# install first, this is a shell comment and not a heading',
      'npm install',
      '```',
      '## Next',
      'Next text.',
    ].join('\n');
    const pairs = generate([inline({ text, title: 'Nesting' })]).filter(
      (pair) => pair.kind === 'heading-to-section',
    );
    expect(pairs.map((pair) => pair.instruction)).toEqual([
      'Write the section "Outer" of your article "Nesting".',
      'Write the section "Inner" of your article "Nesting".',
      'Write the section "Next" of your article "Nesting".',
    ]);
    expect(pairs[0]?.answer).toBe(
      'Outer text.\n\n### Inner\n\nInner text.\n\n```bash\n# install first, this is a shell comment and not a heading\nnpm install\n```',
    );
    expect(pairs[2]?.answer).toBe('Next text.');
    // The Medium subtitle of the sample article is not a section either.
    expect(instructionsOf([titled('What I actually watch')]).join('\n')).not.toContain('Five charts');
  });

  it('asks for a LinkedIn post about its hashtags, keeping names and the author’s spelling', () => {
    const pairs = generate([
      titled('Small experiment, big grin'),
      titled('My dog Tofu'),
      titled("We're hiring"),
      titled('Gave my "Boring ML" talk'),
    ]);
    expect(pairs.every((pair) => pair.kind === 'hashtags-to-post')).toBe(true);
    expect(pairs.map((pair) => pair.instruction).sort()).toEqual([
      'Write a LinkedIn post about Bergen, data engineering and MLOps.',
      'Write a LinkedIn post about hiring, MLOps and Oslo.',
      'Write a LinkedIn post about on-call and DevOps.',
      'Write a LinkedIn post about vector search and RAG.',
    ]);
    const post = titled('Small experiment, big grin');
    expect(pairs.find((pair) => pair.sourceDocumentId === post.documentId)?.answer).toBe(post.text);
  });

  it('asks for a post by its opening line when it has no hashtags', () => {
    const text =
      'Shipped the boring version today. No new model, just a registry and an alias.\n\nRollback went from forty minutes to eleven seconds.';
    const [pair] = generate([inline({ category: 'post', platform: 'linkedin', text, title: 'Shipped' })]);
    expect(pair).toMatchObject({
      kind: 'opening-to-post',
      instruction: 'Write a LinkedIn post that opens with: "Shipped the boring version today."',
      answer: text,
    });
  });

  it('summarises a repository from its README opening, and writes its doc sections', () => {
    const readme = titled('tiny-feature-store: README.md');
    const pairs = generate([readme]);
    const summary = pairs.find((pair) => pair.kind === 'readme-to-summary');
    expect(summary?.instruction).toBe('Summarise your tiny-feature-store repository.');
    expect(summary?.answer.startsWith('A feature store small enough to read in an evening.')).toBe(true);
    expect(summary?.answer).toContain('**A skew check.**');
    expect(summary?.answer).not.toMatch(/^#|Quick start/m);
    expect(
      pairs.filter((pair) => pair.kind === 'heading-to-doc-section').map((pair) => pair.instruction),
    ).toEqual([
      'Write the section "Quick start" of README.md in your tiny-feature-store repository.',
      'Write the section "Why so small" of README.md in your tiny-feature-store repository.',
    ]);
    const design = generate([titled('tiny-feature-store: docs/design.md')]);
    expect(design.find((pair) => pair.instruction.includes('"What I regret"'))?.answer).toContain(
      'Ask me how I know.',
    );
  });

  it('writes code files by path and explains them from their leading comment', () => {
    const view = titled('tiny-feature-store: src/feature-view.ts');
    const pairs = generate([view]);
    expect(pairs.map((pair) => [pair.kind, pair.instruction])).toEqual([
      ['path-to-code', 'Write src/feature-view.ts for your tiny-feature-store repository.'],
      [
        'path-to-explanation',
        'Explain what src/feature-view.ts in your tiny-feature-store repository is for.',
      ],
    ]);
    expect(pairs[0]?.answer).toBe(view.text.trim());
    expect(pairs[1]?.answer).toBe(
      'A FeatureView is the single definition of a group of features for one entity. Training and serving both call `compute`, never their own copy of the logic: that is the whole defence against training-serving skew.',
    );
    const python = generate([titled('tiny-feature-store: python/skew_check.py')]);
    expect(
      python[1]?.answer.startsWith('Compare offline and online feature values for a sample of entities.'),
    ).toBe(true);
    // Configuration carries no voice.
    expect(generate([titled('tiny-feature-store: package.json')])).toEqual([]);
  });

  it('asks for opinions on what a paragraph opens with a claim about, skipping placeholders', () => {
    const opinions = generate(sample).filter((pair) => pair.kind === 'subject-to-opinion');
    const questions = opinions.map((pair) => pair.instruction);
    expect(questions).toContain('What do you think about a feature store?');
    expect(questions).toContain('What do you think about exact k-nearest-neighbour search?');
    expect(questions).toContain('What do you think about deterministic IDs?');
    expect(questions.join('\n')).not.toMatch(/about (the fix|the key|the hard part|it|this|once)\b/i);
    expect(opinions.find((pair) => pair.instruction.endsWith('a feature store?'))?.answer).toMatch(
      /^A feature store is a promise that training and serving see the same world\./,
    );
    // A paragraph that announces a list gets the list too.
    expect(opinions.find((pair) => pair.instruction.endsWith('a training dataset?'))?.answer).toContain(
      '- the ids and content hashes of the documents it came from',
    );
    const perDocument = new Map<string, number>();
    for (const pair of opinions)
      perDocument.set(pair.sourceDocumentId, (perDocument.get(pair.sourceDocumentId) ?? 0) + 1);
    expect(Math.max(...perDocument.values())).toBeLessThanOrEqual(3);
  });

  it('is a pure function of the documents: order of input does not matter, every pair is traced', () => {
    const pairs = generate(sample);
    expect(generate([...sample].reverse())).toEqual(pairs);
    const ids = new Set(sample.map((document) => document.documentId));
    for (const pair of pairs) {
      expect(Object.keys(offlinePrompts)).toContain(pair.kind);
      expect(ids.has(pair.sourceDocumentId)).toBe(true);
      expect(pair.instruction).not.toMatch(/\{\w+\}/);
      expect(pair.answer.length).toBeGreaterThan(0);
    }
  });

  it('yields these pairs from the sample author', () => {
    const pairs = generate(sample);
    const kinds: Record<string, number> = {};
    for (const pair of pairs) kinds[pair.kind] = (kinds[pair.kind] ?? 0) + 1;
    expect(kinds).toEqual({
      'title-to-article': 18,
      'heading-to-section': 87,
      'subject-to-opinion': 20,
      'hashtags-to-post': 11,
      'readme-to-summary': 1,
      'heading-to-doc-section': 6,
      'path-to-code': 5,
      'path-to-explanation': 3,
    });
    const { kept, dropped } = filterExamples(pairs, {
      minAnswerCharacters: 80,
      maxAnswerCharacters: 6000,
      nearDuplicateThreshold: 0.85,
    });
    expect(kept.length).toBe(
      pairs.length - Object.values(dropped).reduce((sum, count) => sum + (count ?? 0), 0),
    );
    expect(dropped).toEqual({ 'too-short': expect.any(Number), 'near-duplicate': expect.any(Number) });
    expect(kept.length).toBeGreaterThan(130);
  });
});
