import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import type { FeatureBuildResult } from '../jobs/job-contracts.ts';
import { jobIdFor } from '../jobs/job-id.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobRepository } from '../ports/job-repository.ts';

/** A queue whose workers for the `feature` queue are started (`startWorkers`), and its job records. */
export type JobQueueFixture = { queue: JobQueue; jobs: JobRepository; close(): Promise<void> };

/** A promise and the function that settles it, for handlers that wait on the test. */
function gate(): { opened: Promise<void>; open(): void } {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** A feature-build result for queue tests, whose handlers stand in for the real build. */
export const featureBuildResult = (chunks: number): FeatureBuildResult => ({
  featureSetId: 'fs_0123456789ab',
  documents: 1,
  processed: 1,
  upToDate: 0,
  rejected: [],
  chunks,
  durationMs: 1,
  embedMs: 1,
});

/** The behaviour every JobQueue adapter must have. */
export function runJobQueueContract(name: string, create: () => Promise<JobQueueFixture>) {
  describe(`JobQueue contract: ${name}`, () => {
    let fixture: JobQueueFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('runs a job with its validated payload and records progress, logs and result', async () => {
      const seen: unknown[] = [];
      fixture.queue.register('feature.build', async (payload, context) => {
        seen.push(payload);
        await context.progress(0.5, 'half way');
        await context.log('working');
        return featureBuildResult(7);
      });
      const queued = await fixture.queue.enqueue('feature.build', { authorId: 'ada' });
      expect(queued.status).toBe('queued');
      const finished = await fixture.queue.waitFor(queued.id);
      expect(finished).toMatchObject({ status: 'completed', progress: 1, queue: 'feature', attempts: 1 });
      expect(finished.result).toEqual(featureBuildResult(7));
      // Defaults from the payload schema are applied before the handler sees the payload.
      expect(seen).toEqual([{ authorId: 'ada', force: false }]);
      expect((await fixture.jobs.logs(queued.id)).map((line) => line.message)).toContain('working');
    });

    it('rejects an invalid payload before anything is queued', async () => {
      await expect(fixture.queue.enqueue('feature.crawl', { targets: [], authorName: '' })).rejects.toThrow(
        /targets.*authorName|authorName.*targets/s,
      );
      expect(await fixture.jobs.list()).toEqual([]);
    });

    it('records a failing handler as failed with its message', async () => {
      fixture.queue.register('feature.build', async () => {
        throw new Error('the embedder is on fire');
      });
      const queued = await fixture.queue.enqueue('feature.build', {});
      const finished = await fixture.queue.waitFor(queued.id);
      expect(finished).toMatchObject({ status: 'failed', error: 'the embedder is on fire' });
      expect(finished.finishedAt).not.toBeNull();
    });

    it('dedupes a job id that is still queued or running', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let runs = 0;
      fixture.queue.register('feature.build', async () => {
        runs += 1;
        await gate;
        return featureBuildResult(1);
      });
      const first = await fixture.queue.enqueue('feature.build', {}, { jobId: 'build-1' });
      const second = await fixture.queue.enqueue('feature.build', {}, { jobId: 'build-1' });
      expect(second.id).toBe(first.id);
      release();
      await fixture.queue.waitFor('build-1');
      expect(runs).toBe(1);
    });

    it('runs a finished job id again when it is enqueued again', async () => {
      let runs = 0;
      fixture.queue.register('feature.build', async () => {
        runs += 1;
        return featureBuildResult(runs);
      });
      await fixture.queue.enqueue('feature.build', {}, { jobId: 'again-1' });
      expect((await fixture.queue.waitFor('again-1')).result).toEqual(featureBuildResult(1));
      const second = await fixture.queue.enqueue('feature.build', {}, { jobId: 'again-1' });
      expect(second.status).toBe('queued');
      expect((await fixture.queue.waitFor('again-1')).result).toEqual(featureBuildResult(2));
      expect(runs).toBe(2);
      expect(await fixture.jobs.list()).toHaveLength(1);
    });

    it('rejects waiting for a job that does not exist', async () => {
      await expect(fixture.queue.waitFor('no-such-job')).rejects.toThrow(/not found/);
    });

    it('cancels a running job through its abort signal', async () => {
      let started: () => void = () => {};
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      fixture.queue.register('feature.build', async (_payload, context) => {
        started();
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
        throw context.signal.reason;
      });
      const queued = await fixture.queue.enqueue('feature.build', {});
      await running;
      await fixture.queue.cancel(queued.id);
      expect((await fixture.queue.waitFor(queued.id)).status).toBe('cancelled');
    });

    it('refuses a job id that breaks the job-id rule before recording anything, and runs every id jobIdFor makes', async () => {
      fixture.queue.register('feature.build', async () => featureBuildResult(3));
      for (const bad of ['feature:build', '', 'has space', '../up']) {
        await expect(fixture.queue.enqueue('feature.build', {}, { jobId: bad })).rejects.toThrow(
          ValidationError,
        );
      }
      expect(await fixture.jobs.list()).toEqual([]);
      // Parts may hold any character; the id made from them is still valid everywhere.
      const id = jobIdFor('feature-build', 'doc:1', 'sha256:ab');
      expect(id).toMatch(/^feature-build-[0-9a-f]{32}$/);
      expect(jobIdFor('feature-build', 'doc:1', 'sha256:ab')).toBe(id);
      await fixture.queue.enqueue('feature.build', {}, { jobId: id });
      expect((await fixture.queue.waitFor(id)).result).toEqual(featureBuildResult(3));
    });

    it('answers a ping with the counts of its jobs', async () => {
      expect(await fixture.queue.ping()).toMatch(/\d+ (running|active)/);
    });

    it('stops its workers: the job in flight finishes within the grace, and later jobs wait for startWorkers', async () => {
      const started = gate();
      const release = gate();
      let runs = 0;
      fixture.queue.register('feature.build', async (payload) => {
        runs += 1;
        if (payload.authorId === 'first') {
          started.open();
          await release.opened;
        }
        return featureBuildResult(runs);
      });
      const first = await fixture.queue.enqueue('feature.build', { authorId: 'first' });
      await started.opened;
      const stopping = fixture.queue.stopWorkers({ graceMs: 60_000 });
      release.open();
      await stopping;
      expect(await fixture.jobs.get(first.id)).toMatchObject({ status: 'completed', attempts: 1 });
      const second = await fixture.queue.enqueue('feature.build', { authorId: 'second' });
      expect((await fixture.jobs.get(second.id))?.status).toBe('queued');
      expect(runs).toBe(1);
      await fixture.queue.startWorkers('feature', { concurrency: 1 });
      expect((await fixture.queue.waitFor(second.id)).result).toEqual(featureBuildResult(2));
    });

    it('aborts the jobs in flight once the grace is over', async () => {
      const started = gate();
      let sawAbort = false;
      fixture.queue.register('feature.build', async (_payload, context) => {
        started.open();
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
        sawAbort = true;
        throw context.signal.reason;
      });
      const queued = await fixture.queue.enqueue('feature.build', {});
      await started.opened;
      await fixture.queue.stopWorkers({ graceMs: 50, abandonAfterMs: 60_000 });
      expect(sawAbort).toBe(true);
      // Handed back to the queue where another worker can take it, or cancelled where none can.
      expect(['queued', 'cancelled']).toContain((await fixture.jobs.get(queued.id))?.status);
    });

    it('gives up on a handler that ignores its abort signal, so stopping never hangs', async () => {
      const started = gate();
      const release = gate();
      fixture.queue.register('feature.build', async () => {
        started.open();
        await release.opened;
        return featureBuildResult(1);
      });
      await fixture.queue.enqueue('feature.build', {});
      await started.opened;
      await fixture.queue.stopWorkers({ graceMs: 20, abandonAfterMs: 100 });
      // Still running: stopWorkers returned without it. Let it end so the fixture can close.
      release.open();
    });
  });
}
