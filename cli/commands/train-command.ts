import { Command } from 'commander';
import { ValidationError } from '../../core/errors.ts';
import type { FineTuneResult } from '../../core/jobs/job-contracts.ts';
import { submitIdempotentJob } from '../../core/jobs/submit-job.ts';
import { renderLossCurveAscii } from '../../training/index.ts';
import { print, withRuntime } from '../cli-context.ts';
import { followToCompletion } from '../follow-to-completion.ts';
import { formatDuration } from '../format-table.ts';
import { positiveInteger } from './documents-command.ts';
import { formatMetrics } from './models-command.ts';

export function trainCommand(): Command {
  return new Command('train')
    .description(
      'fine-tune a model on an instruction dataset and register it as a new version (submitting the same request again returns the same job)',
    )
    .requiredOption('-d, --dataset <id>', 'instruction dataset id (see `twin datasets list`)')
    .option(
      '-b, --backend <name>',
      'local (CPU transformer from scratch), lora (LoRA on a GGUF base, e.g. smollm2-135m-instruct), openai (fine-tuning API) or command (external trainer)',
      'local',
    )
    .option('--base <model>', 'base model for the backend (e.g. an OpenAI model name)')
    .option('-n, --name <name>', 'registry name (default: training.modelName from config)')
    .option('--parent <version>', 'warm-start from this version of the same model', (value) =>
      positiveInteger(value, '--parent'),
    )
    .option(
      '--set <key=value...>',
      'hyper-parameters, e.g. --set steps=400 --set learningRate=0.003',
      collectSetting,
      {},
    )
    .option('--wait', 'wait for the job and print the result (always the case on the in-process queue)')
    .option('--by <who>', 'recorded as the creator (default: training.actor from config)')
    .option('--json', 'print the job result as JSON')
    .action(async function (
      this: Command,
      options: {
        dataset: string;
        backend: string;
        base?: string;
        name?: string;
        parent?: number;
        set: Record<string, unknown>;
        wait?: boolean;
        by?: string;
        json?: boolean;
      },
    ) {
      await withRuntime(this, async (runtime) => {
        const { job, reused } = await submitIdempotentJob(
          { queue: runtime.queue, jobs: runtime.metadata.jobs },
          'training.finetune',
          {
            datasetId: options.dataset,
            backend: options.backend,
            modelName: options.name ?? runtime.config.training.modelName,
            baseModel: options.base ?? null,
            parentVersion: options.parent ?? null,
            hyperparameters: options.set,
            requestedBy: options.by ?? runtime.config.training.actor,
          },
          { prefix: 'ft', ignore: ['requestedBy'] },
        );
        if (reused) print(`same request as job ${job.id} (${job.status}): not training again`);
        const record =
          job.status === 'completed'
            ? job
            : await followToCompletion(job.id, runtime, { label: 'train', what: 'fine-tune' });
        const result = record.result as FineTuneResult;
        if (options.json) {
          print(JSON.stringify({ jobId: record.id, ...result }, null, 2));
          return;
        }
        const version = await runtime.metadata.models.get(result.modelName, result.version);
        if (version && version.lossCurve.length > 1) print(renderLossCurveAscii(version.lossCurve));
        print(
          `registered ${result.modelName}:${result.version} (${result.backend}) in ${formatDuration(result.durationMs)} · ${formatMetrics(result.metrics)}`,
        );
        if (result.lossCurveKey) print(`loss curve: ${runtime.artifacts.locate(result.lossCurveKey)}`);
        print(`next: twin eval ${result.modelName}:${result.version} --dataset ${options.dataset}`);
      });
    });
}

/**
 * `--set a=1 --set b=x` → { a: 1, b: 'x' }; numbers and booleans keep their types, and a value in
 * braces or brackets is JSON (`--set 'layers={"top":20}'`, `--set 'targets=["attn_q","attn_v"]'`).
 */
export function collectSetting(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new ValidationError(`--set expects key=value, got "${value}"`);
  const key = value.slice(0, separator);
  const raw = value.slice(separator + 1);
  if (/^\s*[[{]/.test(raw)) {
    try {
      return { ...previous, [key]: JSON.parse(raw) as unknown };
    } catch (error) {
      throw new ValidationError(
        `--set ${key}: ${raw} is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  const parsed: unknown =
    raw === 'true'
      ? true
      : raw === 'false'
        ? false
        : raw !== '' && Number.isFinite(Number(raw))
          ? Number(raw)
          : raw;
  return { ...previous, [key]: parsed };
}
