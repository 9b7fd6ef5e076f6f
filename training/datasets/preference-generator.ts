import { mapConcurrentAll } from '../../core/concurrency/map-concurrent.ts';
import type { InstructionExample, PreferenceExample } from '../../core/types/dataset.ts';
import type { RejectedAnswerSource } from './rejected-answer-source.ts';

export type PreferenceGeneratorOptions = {
  /** Generic answers requested at once. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
};

export type PreferenceGeneratorResult = {
  examples: PreferenceExample[];
  /** `rejected-empty`: the source wrote nothing; `rejected-same-as-chosen`: nothing to prefer. */
  dropped: Record<string, number>;
};

/**
 * Preference pairs: chosen = the author's own answer, rejected = a generic answer to the same
 * instruction. The pairs keep the order, kind and source document of the instruction examples.
 */
export async function generatePreferences(
  examples: readonly InstructionExample[],
  source: RejectedAnswerSource,
  options: PreferenceGeneratorOptions = {},
): Promise<PreferenceGeneratorResult> {
  let done = 0;
  const rejected = await mapConcurrentAll(
    examples,
    options.concurrency ?? 1,
    async (example, _index, signal) => {
      const answer = await source.generic(example.instruction, signal);
      done += 1;
      options.onProgress?.(done, examples.length);
      return answer;
    },
    options.signal,
  );
  const dropped: Record<string, number> = {};
  const pairs: PreferenceExample[] = [];
  examples.forEach((example, index) => {
    const generic = (rejected[index] ?? '').trim();
    const reason = !generic
      ? 'rejected-empty'
      : normalise(generic) === normalise(example.answer)
        ? 'rejected-same-as-chosen'
        : null;
    if (reason) {
      dropped[reason] = (dropped[reason] ?? 0) + 1;
      return;
    }
    pairs.push({
      instruction: example.instruction,
      chosen: example.answer,
      rejected: generic,
      kind: example.kind,
      sourceDocumentId: example.sourceDocumentId,
    });
  });
  return { examples: pairs, dropped };
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}
