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
  options: {
    label: string;
    stream?: NodeJS.WriteStream;
    quiet?: boolean;
    /** After this long still queued on a distributed queue, say that a worker is needed. Default 10 s. */
    workerHintAfterMs?: number;
  },
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
  const followedSince = Date.now();
  let hinted = false;
  const distributed = dependencies.queue.runs === 'worker-processes';
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
      // On BullMQ nothing runs until a `twin worker` for the job's pipeline is up; a silent wait
      // would look hung. (In process, a queued job only waits for this process's own jobs.)
      const waitedMs = Date.now() - followedSince;
      if (
        !hinted &&
        distributed &&
        record.status === 'queued' &&
        waitedMs > (options.workerHintAfterMs ?? 10_000)
      ) {
        hinted = true;
        bar?.update(Math.round(record.progress * 100), { message: 'queued: waiting for a worker' });
        stream.write(
          `${interactive ? '\n' : ''}${options.label}: still queued after ${Math.round(waitedMs / 1000)} s; jobs on the ${record.queue} queue run in \`twin worker ${record.queue}\` processes: start one against the same Redis and metadata store (Ctrl-C leaves the job queued)\n`,
        );
      }
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
