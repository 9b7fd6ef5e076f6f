import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { ValidationError } from '../../core/errors.ts';
import { sampleQuestions, summariseRequests } from '../../inference/index.ts';
import { print, withRuntime } from '../cli-context.ts';
import { formatTable } from '../format-table.ts';
import { positiveInteger } from './documents-command.ts';

export function monitorCommand(): Command {
  return new Command('monitor')
    .description(
      'summarise served requests (latency percentiles, error rate, stage times, tokens, most retrieved documents) and sample them into an evaluation set',
    )
    .option('--since <date>', 'only requests since this date (default: all)')
    .option('--route <route>', 'only this route, e.g. /v1/chat/completions')
    .option('--sample <n>', 'write n distinct answered questions to --output as JSONL', (value) =>
      positiveInteger(value, '--sample'),
    )
    .option('-o, --output <file>', 'where --sample writes', 'eval-questions.jsonl')
    .option('--json', 'print JSON')
    .action(async function (
      this: Command,
      options: { since?: string; route?: string; sample?: number; output: string; json?: boolean },
    ) {
      let since: string | undefined;
      if (options.since) {
        const time = Date.parse(options.since);
        if (Number.isNaN(time)) throw new ValidationError(`not a date: "${options.since}"`);
        since = new Date(time).toISOString();
      }
      await withRuntime(this, async (runtime) => {
        const logs = await runtime.metadata.requests.list({
          ...(since ? { since } : {}),
          ...(options.route ? { route: options.route } : {}),
        });
        const summary = summariseRequests(logs);
        if (options.sample) {
          const sample = sampleQuestions(logs, options.sample);
          const lines = sample.map((log) =>
            JSON.stringify({
              question: log.question,
              model: log.model,
              featureSetId: log.featureSetId,
              documentIds: [...new Set(log.retrieved.map((hit) => hit.documentId))],
            }),
          );
          await writeFile(options.output, lines.length ? `${lines.join('\n')}\n` : '');
        }
        if (options.json) {
          print(JSON.stringify(summary, null, 2));
        } else if (summary.requests === 0) {
          print('No requests recorded yet: serve some with `twin serve` or `twin chat`.');
        } else {
          const { latencyMs } = summary;
          print(
            `${summary.requests} requests, ${summary.errors} errors (${(summary.errorRate * 100).toFixed(1)}%) · latency p50 ${latencyMs.p50.toFixed(0)} ms, p95 ${latencyMs.p95.toFixed(0)} ms, p99 ${latencyMs.p99.toFixed(0)} ms · tokens ${summary.tokens.prompt} in / ${summary.tokens.completion} out`,
          );
          print(
            `routes: ${Object.entries(summary.byRoute)
              .map(([route, n]) => `${route} ${n}`)
              .join(', ')}`,
          );
          print(
            `models: ${Object.entries(summary.byModel)
              .map(([model, n]) => `${model} ${n}`)
              .join(', ')}`,
          );
          print(
            `stage means: ${Object.entries(summary.stageMeansMs)
              .map(([stage, ms]) => `${stage.replace(/Ms$/, '')} ${ms.toFixed(1)} ms`)
              .join(', ')}`,
          );
          const titles = await Promise.all(
            summary.topDocuments.map(
              async (entry) => (await runtime.metadata.documents.get(entry.documentId))?.title ?? '(removed)',
            ),
          );
          print(
            `\n${formatTable(
              ['most retrieved document', 'title', 'requests'],
              summary.topDocuments.map((entry, index) => [entry.documentId, titles[index], entry.count]),
            )}`,
          );
        }
        if (options.sample)
          print(`sampled ${Math.min(options.sample, summary.requests)} questions → ${options.output}`);
      });
    });
}
