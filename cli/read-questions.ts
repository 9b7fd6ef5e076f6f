import { readFile } from 'node:fs/promises';
import { errorMessage, ValidationError } from '../core/errors.ts';

/** Questions from a JSON file ({"questions":[{"question":…}]}, as the sample author's) or JSONL. */
export async function readQuestions(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ValidationError(`cannot read --questions ${path}: ${errorMessage(error)}`);
  }
  const pick = (value: unknown): string | null =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { question?: unknown }).question === 'string'
      ? (value as { question: string }).question.trim() || null
      : null;
  let items: unknown[];
  try {
    const parsed = JSON.parse(text) as unknown;
    items = Array.isArray(parsed) ? parsed : ((parsed as { questions?: unknown[] }).questions ?? []);
  } catch {
    items = text
      .split('\n')
      .filter((line) => line.trim())
      .map((line, index) => {
        try {
          return JSON.parse(line) as unknown;
        } catch (error) {
          throw new ValidationError(
            `--questions ${path}: line ${index + 1} is not JSON: ${errorMessage(error)}`,
          );
        }
      });
  }
  const questions = items.map(pick).filter((question): question is string => question !== null);
  if (questions.length === 0)
    throw new ValidationError(`--questions ${path} holds no {"question": "…"} entries`);
  return questions;
}
