import { ValidationError } from '../../core/errors.ts';

/** Flags the backend sets itself; a hyper-parameter may not override them. */
const reservedFlags = new Set(['dataset', 'validation', 'output', 'base']);

/**
 * Validates hyper-parameters for an external trainer: each becomes `--key value` on its command
 * line, so only simple scalars are allowed and no value may pass for a flag or carry a newline.
 * Values are kept as given (the trainer owns their meaning); throws one error listing every problem.
 */
export function parseCommandHyperparameters(
  input: Record<string, unknown>,
): Record<string, string | number | boolean> {
  const problems: string[] = [];
  const result: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(key)) {
      problems.push(`${key}: names are a letter then letters, digits, "_" or "-"`);
      continue;
    }
    if (reservedFlags.has(key)) {
      problems.push(`${key}: --${key} is set by the backend`);
      continue;
    }
    if (typeof value === 'boolean') result[key] = value;
    else if (typeof value === 'number') {
      if (Number.isFinite(value)) result[key] = value;
      else problems.push(`${key}: ${value} is not a finite number`);
    } else if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) problems.push(`${key}: ${problem}`);
      else result[key] = value;
    } else {
      problems.push(
        `${key}: only strings, numbers and booleans can be passed to a command (got ${describe(value)})`,
      );
    }
  }
  if (problems.length > 0) {
    throw new ValidationError(
      `invalid hyper-parameters for the command backend:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
  return result;
}

/** `--key value` pairs, in the order given. */
export function toCommandArguments(hyperparameters: Record<string, string | number | boolean>): string[] {
  return Object.entries(hyperparameters).flatMap(([key, value]) => [`--${key}`, String(value)]);
}

function stringProblem(value: string): string | null {
  if (value.length === 0) return 'is empty';
  if (value.length > 500) return 'is longer than 500 characters';
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains a newline or another control character';
  if (value.startsWith('-') && !Number.isFinite(Number(value))) return `"${value}" would be read as a flag`;
  return null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
