import { Command } from 'commander';
import { ValidationError } from '../../core/errors.ts';
import { baselineVersion } from '../../core/registry/baseline-version.ts';
import { checkGate, promoteModel } from '../../core/registry/promote-model.ts';
import { resolveModel } from '../../core/registry/resolve-model.ts';
import { evaluateGrounding } from '../../inference/index.ts';
import { print, withRuntime } from '../cli-context.ts';
import { evaluateTestSplit } from '../evaluate-test-split.ts';
import { formatTable } from '../format-table.ts';
import { readQuestions } from '../read-questions.ts';
import { positiveInteger } from './documents-command.ts';
import { formatMetrics } from './models-command.ts';

const compared = ['rougeL', 'styleSimilarity', 'perplexity', 'groundedness', 'citationValidity'] as const;

export function evalCommand(): Command {
  return new Command('eval')
    .description(
      'evaluate a model version on a dataset’s test split (ROUGE-L, style similarity, perplexity, LLM judge) and on grounded questions (groundedness, citation validity), beside its baseline (its base model, else the extractive answerer), and store the metrics on the version',
    )
    .argument('<model>', 'NAME:VERSION, NAME@ALIAS or NAME (production)')
    .requiredOption('-d, --dataset <id>', 'dataset whose test split to evaluate on')
    .option(
      '-n, --limit <n>',
      'at most this many test examples (taken in turns from each document) and questions',
      (value) => positiveInteger(value, '--limit'),
    )
    .option(
      '--questions <file>',
      'questions to answer with retrieval for the grounding metrics: JSON {"questions":[{"question":…}]} or JSONL of {"question":…} (default: the test split’s instructions)',
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
      'then promote to production if it beats the current production version (or, for a first promotion, its baseline) on training.gate.metric',
    )
    .option('--no-baseline', 'do not measure the baseline (a first promotion then has nothing to beat)')
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
        questions?: string;
        maxTokens: number;
        temperature: number;
        gate?: boolean;
        baseline: boolean;
        samples: number;
        json?: boolean;
      },
    ) {
      if (!Number.isFinite(options.temperature) || options.temperature < 0 || options.temperature > 2) {
        throw new ValidationError('--temperature must be a number from 0 to 2');
      }
      const fileQuestions = options.questions ? await readQuestions(options.questions) : null;
      await withRuntime(
        this,
        async (runtime) => {
          const version = await resolveModel(runtime.metadata.models, reference);
          let lastLine = 0;
          const progress = (label: string) => (fraction: number, message?: string) => {
            if (Date.now() - lastLine < 2000 && fraction < 1) return;
            lastLine = Date.now();
            process.stderr.write(`eval ${label}: ${Math.round(fraction * 100)}% ${message ?? ''}\n`);
          };
          const split = { datasetId: options.dataset, ...(options.limit ? { limit: options.limit } : {}) };
          const generation = { maxTokens: options.maxTokens, temperature: options.temperature };
          const evaluation = await evaluateTestSplit(
            runtime,
            version,
            { ...split, ...generation },
            progress(`${version.name}:${version.version}`),
          );
          const questions = (fileQuestions ?? evaluation.samples.map((sample) => sample.instruction)).slice(
            0,
            options.limit ?? Number.POSITIVE_INFINITY,
          );
          const grounding = await evaluateGrounding(runtime.inference, version, questions, {
            ...generation,
            progress: (done, total) => progress('grounding')(done / total, `answered ${done}/${total}`),
          });
          const metrics: Record<string, number> = {
            groundedness: grounding.groundedness,
            citationValidity: grounding.citationValidity,
          };

          // The baseline, measured on the same examples and questions in the same run.
          let baselineLabel: string | null = null;
          const baselineMetrics: Record<string, number> = {};
          if (options.baseline) {
            const base = await baselineVersion(runtime.metadata.models, version);
            baselineLabel = base ? `${base.name}:${base.version} (base model)` : 'extractive (no base model)';
            const measured = await evaluateTestSplit(
              runtime,
              base,
              { ...split, ...generation },
              progress('baseline'),
            );
            const baseGrounding = await evaluateGrounding(runtime.inference, base, questions, generation);
            Object.assign(baselineMetrics, numericMetrics(measured.metrics), {
              groundedness: baseGrounding.groundedness,
              citationValidity: baseGrounding.citationValidity,
            });
            for (const [key, value] of Object.entries(baselineMetrics)) metrics[`baseline.${key}`] = value;
          }
          const updated = await runtime.metadata.models.updateMetrics(version.name, version.version, metrics);

          if (options.json) {
            print(
              JSON.stringify(
                {
                  model: `${updated.name}:${updated.version}`,
                  ...evaluation,
                  grounding,
                  baseline: baselineLabel ? { model: baselineLabel, metrics: baselineMetrics } : null,
                },
                null,
                2,
              ),
            );
          } else {
            print(
              `${updated.name}:${updated.version} on ${options.dataset}: ${formatMetrics(updated.metrics)}`,
            );
            const row = (label: string, values: Record<string, number | undefined>) => [
              label,
              ...compared.map((key) =>
                values[key] === undefined ? '—' : (values[key] as number).toFixed(3),
              ),
            ];
            print(
              formatTable(
                ['model', ...compared],
                [
                  row(`${updated.name}:${updated.version}`, updated.metrics),
                  ...(baselineLabel ? [row(baselineLabel, baselineMetrics)] : []),
                ],
                40,
              ),
            );
            print(
              formatTable(
                ['question', 'grounded answer', 'grounded', 'citations valid'],
                grounding.answers
                  .slice(0, options.samples)
                  .map((answer) => [
                    answer.question,
                    answer.answer,
                    `${answer.score.supported}/${answer.score.sentences}`,
                    `${answer.score.validCitations}/${answer.score.citations}`,
                  ]),
                60,
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
        },
        { everyCore: true },
      );
    });
}

function numericMetrics(metrics: object): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).filter(
      (entry): entry is [string, number] => typeof entry[1] === 'number' && entry[0] !== 'examples',
    ),
  );
}
