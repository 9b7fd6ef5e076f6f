import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../core/errors.ts';
import { approximatePromptBudget } from '../../core/models/approximate-prompt-budget.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import { noorPassages, rollbackQuestion } from './__fixtures__/noor-passages.ts';
import { defaultPromptTemplatePath, loadPromptTemplate, PromptTemplate } from './prompt-template.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-prompts-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const template = loadPromptTemplate();
const input = { authorName: 'Noor Halvorsen', question: rollbackQuestion, sources: noorPassages };

function writeTemplate(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('PromptTemplate (configs/prompts/twin-chat.yaml)', () => {
  it('loads once per process', () => {
    expect(loadPromptTemplate()).toBe(template);
    expect(loadPromptTemplate(defaultPromptTemplatePath)).toBe(template);
    expect(template.version).toBe('twin-chat-v1');
  });

  it('speaks as the author, numbers the sources, asks to cite them and to admit gaps', () => {
    const built = template.buildMessages(input);
    const [system, user] = built.messages;
    expect(built.messages).toHaveLength(2);
    expect(system?.role).toBe('system');
    expect(system?.content).toMatch(/^You are Noor Halvorsen\./);
    expect(system?.content).toContain('first person');
    expect(system?.content).toContain('[2]');
    expect(system?.content).toContain("I haven't written about that.");
    expect(user?.role).toBe('user');
    expect(user?.content).toContain(
      `[1] Rollback is a feature — https://noorhalvorsen.dev/posts/rollback-is-a-feature.html\nIt was a Friday, of course.`,
    );
    expect(user?.content).toContain(
      '\n\n[3] A feature store is a contract — https://noorhalvorsen.dev/posts/a-feature-store-is-a-contract.html\nTraining computed',
    );
    // The question comes last, so a model that keeps only the end of its prompt still sees it.
    expect(user?.content.endsWith(`Question: ${rollbackQuestion}`)).toBe(true);
    expect(built.sources.map(({ number, source, trimmed }) => [number, source.documentId, trimmed])).toEqual([
      [1, 'doc-rollback', false],
      [2, 'doc-registry', false],
      [3, 'doc-contract', false],
    ]);
    expect(built.grounding.question).toBe(rollbackQuestion);
    expect(built.grounding.sources.map((source) => source.number)).toEqual([1, 2, 3]);
  });

  it('fits the budget: whole sources first, then the last one cut at a word, then nothing more', () => {
    const whole = template.buildMessages({ ...input, sources: noorPassages.slice(0, 1) });
    const budget = approximatePromptBudget(whole.promptTokens + 60);
    const built = template.buildMessages(input, budget);
    expect(built.promptTokens).toBeLessThanOrEqual(budget.maxPromptTokens);
    expect(built.sources.map(({ number, trimmed }) => [number, trimmed])).toEqual([
      [1, false],
      [2, true],
    ]);
    const second = built.grounding.sources[1]?.text ?? '';
    expect(second.endsWith(' …')).toBe(true);
    expect(noorPassages[1]?.text.startsWith(second.slice(0, -2))).toBe(true);
    expect(built.messages[1]?.content).toContain(second);
    expect(built.messages[1]?.content).not.toContain('[3]');
  });

  it('leaves the passages out, not the question, when none fits; says so when none was found', () => {
    const tight = template.buildMessages(
      input,
      approximatePromptBudget(template.buildMessages({ ...input, sources: [] }).promptTokens),
    );
    expect(tight.sources).toEqual([]);
    expect(tight.messages[1]?.content).toBe(`Question: ${rollbackQuestion}`);
    const none = template.buildMessages({ ...input, sources: [] });
    expect(none.messages[1]?.content).toBe(
      `No passages from my writing were found for this question.\n\nQuestion: ${rollbackQuestion}`,
    );
  });

  it('keeps the most recent turns of the history within a quarter of the budget, user first', () => {
    const history = [
      { role: 'user' as const, content: 'What do you think about feature stores? '.repeat(40) },
      { role: 'assistant' as const, content: 'They are contracts between training and serving. '.repeat(40) },
      { role: 'user' as const, content: 'And registries?' },
      { role: 'assistant' as const, content: 'Boring, on purpose.' },
      { role: 'system' as const, content: 'ignored' },
    ];
    const all = template.buildMessages({ ...input, history });
    expect(all.messages.map((message) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    const bare = template.buildMessages({ ...input, sources: [] }).promptTokens;
    const budget = approximatePromptBudget(4 * (bare + 40));
    const built = template.buildMessages({ ...input, sources: [], history }, budget);
    expect(built.historyMessages).toBe(2);
    expect(built.messages.slice(1, 3)).toEqual(history.slice(2, 4));
  });

  it('puts the fine-tuning system prompt first when the model name is given', () => {
    const built = template.buildMessages({ ...input, modelName: 'twin' });
    expect(
      built.messages[0]?.content.startsWith(`${twinSystemPrompt('twin')}\n\nYou are Noor Halvorsen.`),
    ).toBe(true);
  });

  it('inserts text verbatim: braces in a passage are not placeholders', () => {
    const built = template.buildMessages({
      ...input,
      sources: [
        {
          title: 'Templates',
          url: 'https://example.org/t',
          text: 'Write {question} and {{n}} in your template.',
        },
      ],
    });
    expect(built.messages[1]?.content).toContain('Write {question} and {{n}} in your template.');
  });

  it('refuses an empty question', () => {
    expect(() => template.buildMessages({ ...input, question: '  ' })).toThrow(/empty question/);
  });
});

describe('PromptTemplate files', () => {
  const valid = parseYaml(readFileSync(defaultPromptTemplatePath, 'utf8')) as Record<string, unknown>;

  it('names the file and the field of an unknown or missing placeholder', () => {
    const path = writeTemplate(
      'typo.yaml',
      readFileSync(defaultPromptTemplatePath, 'utf8')
        .replace('You are {authorName}.', 'You are {autorName}.')
        .replace('[{n}] {title}', '[#] {title}'),
    );
    const error = errorOf(() => PromptTemplate.fromFile(path));
    expect(error.problems).toEqual([
      `${path}: system: unknown placeholder(s) {autorName} (allowed: {authorName})`,
      `${path}: source: missing placeholder(s) {n}`,
    ]);
  });

  it('names the file of invalid YAML, of a missing field and of an unknown one', () => {
    const broken = writeTemplate('broken.yaml', 'version: [unclosed\n');
    expect(errorOf(() => PromptTemplate.fromFile(broken)).message).toContain(`${broken}: invalid YAML`);
    const { user: _user, ...withoutUser } = valid;
    const incomplete = errorOf(() => PromptTemplate.fromObject({ ...withoutUser, extra: 'x' }, 'mine.yaml'));
    expect(incomplete.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^mine\.yaml: user: /),
        'mine.yaml: (root): unknown key(s) extra',
      ]),
    );
    const missing = join(folder, 'absent.yaml');
    expect(errorOf(() => loadPromptTemplate(missing)).message).toContain(
      `cannot read prompt template ${missing}`,
    );
  });
});
