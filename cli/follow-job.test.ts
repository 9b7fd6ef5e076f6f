import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  deleteRedisKeys,
  openTestMetadata,
  openTestQueue,
  testPrefix,
} from '../core/adapters/queue/bullmq-test-support.ts';
import { InProcessJobQueue } from '../core/adapters/queue/in-process-job-queue.ts';
import { featureBuildResult } from '../core/contracts/job-queue-contract.ts';
import { silentLogger } from '../core/logger.ts';
import { followJob } from './follow-job.ts';

/** A non-TTY stream that keeps what was written, as a CI log would. */
function captured() {
  const stream = new PassThrough() as PassThrough & NodeJS.WriteStream;
  let text = '';
  stream.on('data', (chunk) => {
    text += String(chunk);
  });
  return { stream, text: () => text };
}

describe('followJob', () => {
  const prefix = testPrefix();
  afterAll(async () => {
    await deleteRedisKeys(prefix);
  });

  it('says once that a worker is needed when a BullMQ job stays queued, and finishes when one starts', async () => {
    const { metadata, close } = await openTestMetadata();
    const queue = openTestQueue(metadata, prefix);
    try {
      queue.register('feature.build', async () => featureBuildResult(0));
      const job = await queue.enqueue('feature.build', {});
      const log = captured();
      const following = followJob(
        job.id,
        { jobs: metadata.jobs, queue },
        { label: 'features', stream: log.stream, workerHintAfterMs: 100 },
      );
      await vi.waitFor(
        () =>
          expect(log.text()).toMatch(
            /features: still queued after \d+ s; jobs on the feature queue run in `twin worker feature` processes/,
          ),
        { timeout: 30_000, interval: 50 },
      );
      await queue.startWorkers('feature', { concurrency: 1 });
      expect((await following).status).toBe('completed');
      expect(log.text().match(/still queued/g)).toHaveLength(1);
    } finally {
      await queue.queue('feature').obliterate({ force: true });
      await queue.close();
      await close();
    }
  });

  it('never says so for the in-process queue, where queued only means busy', async () => {
    const { metadata, close } = await openTestMetadata();
    const queue = new InProcessJobQueue(metadata.jobs, { concurrency: 1, logger: silentLogger });
    try {
      let release: () => void = () => {};
      const busy = new Promise<void>((resolve) => {
        release = resolve;
      });
      // The first job holds the only slot until released; the followed one waits behind it.
      queue.register('feature.build', async (payload) => {
        if (payload.authorId === 'busy') await busy;
        return featureBuildResult(0);
      });
      await queue.enqueue('feature.build', { authorId: 'busy' });
      const waiting = await queue.enqueue('feature.build', { authorId: 'next' });
      const log = captured();
      const following = followJob(
        waiting.id,
        { jobs: metadata.jobs, queue },
        { label: 'features', stream: log.stream, workerHintAfterMs: 50 },
      );
      // Proving an absence needs a pause: six times the hint delay, long enough for a hint to show.
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      expect((await following).status).toBe('completed');
      expect(log.text()).not.toMatch(/still queued/);
    } finally {
      await queue.close();
      await close();
    }
  });
});
