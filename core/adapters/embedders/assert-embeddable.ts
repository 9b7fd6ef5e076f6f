import { ValidationError } from '../../errors.ts';

/**
 * Every adapter refuses empty strings, the same way, before any work starts. USE-lite cannot embed
 * one (alone it throws; inside a batch it silently shifts the rows that follow), the OpenAI API
 * answers 400, and an empty chunk or query is a bug upstream anyway. Whitespace-only texts are
 * embedded as they are: every engine accepts them.
 */
export function assertEmbeddable(texts: readonly string[]): void {
  const empty: number[] = [];
  texts.forEach((text, index) => {
    if (typeof text !== 'string') throw new ValidationError(`text at index ${index} is not a string`);
    if (text.length === 0) empty.push(index);
  });
  if (empty.length > 0) {
    throw new ValidationError(
      `cannot embed empty text (index ${empty.slice(0, 10).join(', ')}${empty.length > 10 ? ', ...' : ''})`,
    );
  }
}
