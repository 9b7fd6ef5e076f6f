import { ValidationError } from '../../errors.ts';
import { ModelVersion } from '../../types/model-version.ts';

/**
 * A registry name from a file name: `.gguf` dropped, lower-cased, every character but a-z, 0-9,
 * `.` and `-` turned into `-`, trimmed to the registry's rule (starts with a letter or digit, at
 * most 64 characters). `SmolLM2-135M-Instruct.Q4_1.gguf` → `smollm2-135m-instruct.q4-1`.
 */
export function deriveModelName(fileName: string): string {
  const name = fileName
    .replace(/\.gguf$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64);
  if (!ModelVersion.shape.name.safeParse(name).success) {
    throw new ValidationError(`cannot make a model name out of ${fileName}: give one with --name`);
  }
  return name;
}
