import cliProgress from 'cli-progress';
import type { JobQueue } from '../core/ports/job-queue.ts';
import type { JobRepository } from '../core/ports/job-repository.ts';
import { finishedStatuses, type JobRecord } from '../core/types/job-record.ts';

/**
 * Shows a job's progress until it finishes, reading only its job record, so it looks the same
 * whichever queue engine runs the job. A bar on a terminal; a line per change otherwise (CI logs).
 */
export async function followJob(
  jobId: string,
  dependencies: { jobs: JobRepository; queue: JobQueue },
  options: { label: string; stream?: NodeJS.WriteStream; quiet?: boolean },
): Promise<JobRecord> {
  const stream = options.stream ?? process.stderr;
  const interactive = Boolean(stream.isTTY) && !options.quiet;
  const bar = interactive
    ? new cliProgress.SingleBar(
        {
          stream,
          format: `${options.label.padEnd(9)} {bar} {percentage}% | {duration_formatted} | {message}`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(100, 0, { message: 'queued' });
  let lastLine = '';
  let lastLineAt = 0;
  const finished = dependencies.queue.waitFor(jobId);
  let done = false;
  void finished.then(() => {
    done = true;
  });
  for (;;) {
    const record = await dependencies.jobs.get(jobId);
    if (record) {
      const message = record.progressMessage ?? record.status;
      bar?.update(Math.round(record.progress * 100), { message });
      if (!interactive && !options.quiet && message !== lastLine && Date.now() - lastLineAt > 2000) {
        stream.write(`${options.label}: ${Math.round(record.progress * 100)}% ${message}\n`);
        lastLine = message;
        lastLineAt = Date.now();
      }
      if (finishedStatuses.includes(record.status)) break;
    }
    if (done) continue;
    await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 150))]);
  }
  const record = await finished;
  if (bar) {
    bar.update(Math.round(record.progress * 100), { message: record.progressMessage ?? record.status });
    bar.stop();
  }
  return record;
}
