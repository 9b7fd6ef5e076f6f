import { Command } from 'commander';
import { ValidationError } from '../../core/errors.ts';
import { checkGate, promoteModel } from '../../core/registry/promote-model.ts';
import { resolveModel } from '../../core/registry/resolve-model.ts';
import { evaluateVersion } from '../../training/index.ts';
import { print, withRuntime } from '../cli-context.ts';
import { formatTable } from '../format-table.ts';
import { positiveInteger } from './documents-command.ts';
import { formatMetrics } from './models-command.ts';

export function evalCommand(): Command {
  return new Command('eval')
    .description(
      'evaluate a model version on a dataset’s test split (ROUGE-L, style similarity, perplexity, LLM judge) and store the metrics on the version',
    )
    .argument('<model>', 'NAME:VERSION, NAME@ALIAS or NAME (production)')
    .requiredOption('-d, --dataset <id>', 'dataset whose test split to evaluate on')
    .option('-n, --limit <n>', 'at most this many test examples', (value) =>
      positiveInteger(value, '--limit'),
    )
    .option(
      '--max-tokens <n>',
      'longest generated answer',
      (value) => positiveInteger(value, '--max-tokens'),
      160,
    )
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', Number.parseFloat, 0)
    .option(
      '--gate',
      'then promote to production if it beats the current production version on training.gate.metric',
    )
    .option(
      '--samples <n>',
      'print this many generated answers',
      (value) => positiveInteger(value, '--samples'),
      3,
    )
    .option('--json', 'print JSON')
    .action(async function (
      this: Command,
      reference: string,
      options: {
        dataset: string;
        limit?: number;
        maxTokens: number;
        temperature: number;
        gate?: boolean;
        samples: number;
        json?: boolean;
      },
    ) {
      if (!Number.isFinite(options.temperature) || options.temperature < 0 || options.temperature > 2) {
        throw new ValidationError('--temperature must be a number from 0 to 2');
      }
      await withRuntime(this, async (runtime) => {
        const version = await resolveModel(runtime.metadata.models, reference);
        let lastLine = 0;
        const { evaluation, version: updated } = await evaluateVersion(
          version,
          {
            datasetId: options.dataset,
            maxTokens: options.maxTokens,
            temperature: options.temperature,
            ...(options.limit ? { limit: options.limit } : {}),
          },
          {
            metadata: runtime.metadata,
            artifacts: runtime.artifacts,
            config: runtime.config,
            embedder: await runtime.queryEmbedder(),
            logger: runtime.logger,
            progress: (fraction, message) => {
              if (Date.now() - lastLine < 2000 && fraction < 1) return;
              lastLine = Date.now();
              process.stderr.write(`eval: ${Math.round(fraction * 100)}% ${message ?? ''}\n`);
            },
          },
        );
        if (options.json) {
          print(JSON.stringify({ model: `${updated.name}:${updated.version}`, ...evaluation }, null, 2));
        } else {
          print(
            `${updated.name}:${updated.version} on ${options.dataset}: ${formatMetrics(updated.metrics)}`,
          );
          print(
            formatTable(
              ['instruction', 'generated', 'rougeL', 'style'],
              evaluation.samples
                .slice(0, options.samples)
                .map((sample) => [
                  sample.instruction,
                  sample.generated,
                  sample.rougeL.toFixed(3),
                  sample.style.toFixed(3),
                ]),
              50,
            ),
          );
        }
        if (!options.gate) return;
        const gate = await checkGate(runtime.metadata.models, {
          name: updated.name,
          version: updated.version,
          metric: runtime.config.training.gate.metric,
          higherIsBetter: runtime.config.training.gate.higherIsBetter,
        });
        if (!gate.passed) throw new ValidationError(`promotion refused by the gate: ${gate.reason}`);
        const event = await promoteModel(runtime.metadata.models, {
          name: updated.name,
          version: updated.version,
          movedBy: runtime.config.training.actor,
          reason: `gate: ${gate.reason}`,
          vectors: runtime.vectors,
        });
        print(
          `gate passed (${gate.reason}): ${updated.name}@production ${event.fromVersion ?? '—'} → ${event.toVersion}`,
        );
      });
    });
}
