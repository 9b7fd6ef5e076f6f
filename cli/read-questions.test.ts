import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readQuestions } from './read-questions.ts';

describe('readQuestions', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-questions-'));
  const file = (name: string, text: string) => {
    const path = join(folder, name);
    writeFileSync(path, text);
    return path;
  };
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('reads the sample author’s JSON shape, a JSON array and JSONL, skipping entries without a question', async () => {
    expect(await readQuestions(file('a.json', '{"questions":[{"question":" Why? "},{"note":"x"}]}'))).toEqual(
      ['Why?'],
    );
    expect(await readQuestions(file('b.json', '[{"question":"One"},{"question":"Two"}]'))).toEqual([
      'One',
      'Two',
    ]);
    expect(await readQuestions(file('c.jsonl', '{"question":"One"}\n\n{"question":"Two"}\n'))).toEqual([
      'One',
      'Two',
    ]);
  });

  it('says what is wrong with a missing, malformed or empty file', async () => {
    await expect(readQuestions(join(folder, 'missing.json'))).rejects.toThrow(
      /cannot read --questions .*missing\.json/,
    );
    await expect(readQuestions(file('d.jsonl', '{"question":"One"}\nnot json'))).rejects.toThrow(
      /line 2 is not JSON/,
    );
    await expect(readQuestions(file('e.json', '{"questions":[]}'))).rejects.toThrow(/holds no \{"question"/);
  });
});
