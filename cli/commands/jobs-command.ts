import { Command, Option } from 'commander';
import { NotFoundError } from '../../core/errors.ts';
import { finishedStatuses, JobStatus } from '../../core/types/job-record.ts';
import { print, withRuntime } from '../cli-context.ts';
import { formatTable } from '../format-table.ts';
import { positiveInteger } from './documents-command.ts';

export function jobsCommand(): Command {
  const jobs = new Command('jobs').description(
    'inspect and cancel jobs (crawls, feature builds, fine-tunes)',
  );
  jobs
    .command('list')
    .description('list recent jobs, newest first')
    .option('-q, --queue <queue>', 'only this queue (feature, training, inference)')
    .addOption(new Option('--status <status>', 'only this status').choices(JobStatus.options))
    .option('-n, --limit <n>', 'at most this many', (value) => positiveInteger(value, '--limit'), 20)
    .action(async function (this: Command, options: { queue?: string; status?: JobStatus; limit: number }) {
      await withRuntime(this, async (runtime) => {
        const rows = await runtime.metadata.jobs.list(options);
        print(
          formatTable(
            ['id', 'name', 'status', 'progress', 'created', 'message / error'],
            rows.map((row) => [
              row.id,
              row.name,
              row.status,
              `${Math.round(row.progress * 100)}%`,
              row.createdAt.slice(0, 19),
              row.error ?? row.progressMessage,
            ]),
          ),
        );
      });
    });
  jobs
    .command('show')
    .description('show one job with its payload, result and log')
    .argument('<id>', 'job id')
    .action(async function (this: Command, id: string) {
      await withRuntime(this, async (runtime) => {
        const job = await runtime.metadata.jobs.get(id);
        if (!job) throw new NotFoundError(`job ${id} not found`);
        const logs = await runtime.metadata.jobs.logs(id);
        print(JSON.stringify(job, null, 2));
        for (const line of logs) print(`${line.at}  ${line.message}`);
      });
    });
  jobs
    .command('cancel')
    .description('cancel a queued or running job (a running job stops at its next checkpoint)')
    .argument('<id>', 'job id')
    .action(async function (this: Command, id: string) {
      await withRuntime(this, async (runtime) => {
        const job = await runtime.metadata.jobs.get(id);
        if (!job) throw new NotFoundError(`job ${id} not found`);
        if (finishedStatuses.includes(job.status)) {
          print(`job ${id} already ${job.status}`);
          return;
        }
        await runtime.queue.cancel(id);
        // The in-process queue only runs jobs of its own process; a job left running by a process
        // that died is marked cancelled here so it stops showing as running.
        const after = await runtime.metadata.jobs.get(id);
        if (after && !finishedStatuses.includes(after.status)) {
          await runtime.metadata.jobs.update(id, {
            status: 'cancelled',
            error: 'cancelled by user',
            finishedAt: new Date().toISOString(),
          });
        }
        print(`job ${id} cancelled`);
      });
    });
  return jobs;
}
