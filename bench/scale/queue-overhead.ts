import type { FeatureBuildResult } from '../../core/jobs/job-contracts.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import { measure, percentile, round } from '../measure.ts';

const result: FeatureBuildResult = {
  featureSetId: 'fs_0123456789ab',
  documents: 0,
  processed: 0,
  upToDate: 0,
  rejected: [],
  chunks: 0,
  durationMs: 0,
  embedMs: 0,
};

/**
 * Round trips of a job that does nothing, one after another: enqueue (payload validated, record
 * written) → a worker picks it up → records running and completed → the caller sees it finished.
 * What remains is the queue's own cost per job.
 */
export async function measureRoundTrips(queue: JobQueue, jobs: number, startWorker?: () => Promise<void>) {
  queue.register('feature.build', async () => result);
  await startWorker?.();
  // Warm-up: connections, scripts and prepared statements.
  for (let index = 0; index < 10; index += 1) {
    await queue.waitFor((await queue.enqueue('feature.build', { authorId: `warm-${index}` })).id);
  }
  const latencies: number[] = [];
  const measured = await measure(async () => {
    for (let index = 0; index < jobs; index += 1) {
      const started = performance.now();
      const record = await queue.waitFor(
        (await queue.enqueue('feature.build', { authorId: `a${index}` })).id,
      );
      if (record.status !== 'completed') throw new Error(`bench job ${record.id} ${record.status}`);
      latencies.push(performance.now() - started);
    }
  });
  return {
    jobs,
    msPerJob: round(measured.durationMs / jobs, 3),
    p50Ms: round(percentile(latencies, 0.5), 3),
    p99Ms: round(percentile(latencies, 0.99), 3),
    peakRssMb: measured.peakRssMb,
  };
}
