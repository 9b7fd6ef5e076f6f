import { ValidationError } from '../../../core/errors.ts';
import { readGgufTensors } from '../../../core/models/gguf/read-gguf-tensors.ts';
import type { LoraPairValues } from './lora-adapters.ts';

/**
 * The A and B values of a parent version's adapter file, keyed by base tensor name, to continue
 * training it (a fine-tune of a fine-tune). The run must adapt exactly the parent's tensors at
 * the parent's rank; the error lists what differs.
 */
export async function parentAdapterValues(
  path: string,
  expected: { tensorNames: readonly string[]; rank: number },
  label: string,
): Promise<Map<string, LoraPairValues>> {
  const file = await readGgufTensors(path, label);
  try {
    const pairs = new Map<string, { a?: string; b?: string; rank?: number }>();
    for (const tensor of file.tensors) {
      const match = /^(.*)\.lora_([ab])$/.exec(tensor.name);
      if (!match) continue;
      const [, base, half] = match as unknown as [string, string, 'a' | 'b'];
      const entry = pairs.get(base) ?? {};
      entry[half] = tensor.name;
      // lora_a is [inputs, rank] in GGUF order: its second dimension is the rank.
      if (half === 'a') entry.rank = tensor.dimensions[1];
      pairs.set(base, entry);
    }
    const problems: string[] = [];
    const wanted = new Set(expected.tensorNames);
    const missing = expected.tensorNames.filter((name) => !pairs.has(name));
    const extra = [...pairs.keys()].filter((name) => !wanted.has(name));
    if (missing.length > 0) problems.push(`it does not adapt ${summarise(missing)}`);
    if (extra.length > 0) problems.push(`it also adapts ${summarise(extra)}`);
    const ranks = new Set([...pairs.values()].map((entry) => entry.rank));
    if (ranks.size !== 1 || !ranks.has(expected.rank))
      problems.push(`its rank is ${[...ranks].join(', ')}, this run's is ${expected.rank}`);
    if (problems.length > 0)
      throw new ValidationError(
        `cannot continue ${label}: ${problems.join('; ')} (give the parent's rank, targets and layers)`,
      );
    const values = new Map<string, LoraPairValues>();
    for (const name of expected.tensorNames) {
      const entry = pairs.get(name) as { a: string; b: string };
      values.set(name, { a: await file.loadTensor(entry.a), b: await file.loadTensor(entry.b) });
    }
    return values;
  } finally {
    await file.close();
  }
}

function summarise(names: string[]): string {
  return names.length <= 3
    ? names.join(', ')
    : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}
