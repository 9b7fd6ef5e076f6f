import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { NotFoundError } from '../../core/errors.ts';
import type { BatchResult } from '../../core/jobs/job-contracts.ts';
import { print, withRuntime } from '../cli-context.ts';
import { followToCompletion } from '../follow-to-completion.ts';
import { formatDuration } from '../format-table.ts';

export function batchCommand(): Command {
  return new Command('batch')
    .description(
      'answer a JSONL of prompts ({"id"?, "prompt"} or {"id"?, "messages"} per line) as a batch job; writes a results JSONL with answers, sources and model version',
    )
    .argument('<file>', 'input JSONL')
    .option('-m, --model <model>', 'twin (production), twin@ALIAS or twin:VERSION', 'twin')
    .option('-o, --output <file>', 'results file (default: <file>.results.jsonl)')
    .option('--max-tokens <n>', 'longest answer', (value) => Number(value), 256)
    .option('--temperature <t>', 'sampling temperature', (value) => Number(value), 0.7)
    .action(async function (
      this: Command,
      file: string,
      options: { model: string; output?: string; maxTokens: number; temperature: number },
    ) {
      let input: Buffer;
      try {
        input = await readFile(file);
      } catch {
        throw new NotFoundError(`cannot read ${file}`);
      }
      await withRuntime(this, async (runtime) => {
        // The runtime registered the batch job on its queue: it runs in this process on the
        // embedded queue, in `twin worker inference` on BullMQ.
        const folder = `batches/${randomUUID()}`;
        await runtime.artifacts.put(`${folder}/input.jsonl`, input);
        const job = await runtime.queue.enqueue('inference.batch', {
          inputKey: `${folder}/input.jsonl`,
          outputKey: `${folder}/results.jsonl`,
          model: options.model,
          maxTokens: options.maxTokens,
          temperature: options.temperature,
        });
        const record = await followToCompletion(job.id, runtime, { label: 'batch', what: 'batch' });
        const result = record.result as BatchResult;
        const output = options.output ?? `${file.replace(/\.jsonl$/, '')}.results.jsonl`;
        await writeFile(output, await runtime.artifacts.get(result.outputKey));
        print(
          `${result.succeeded}/${result.total} prompts answered by ${result.modelVersions.join(', ') || '—'} in ${formatDuration(result.durationMs)}${result.failed ? ` (${result.failed} failed: see their "error")` : ''} → ${output}`,
        );
      });
    });
}
