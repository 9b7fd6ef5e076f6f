import type { JobQueue } from '../../ports/job-queue.ts';

/** A real queue whose `enqueue` is replaced (to fail, or to crash the process); the rest delegates to it. */
export function queueWithEnqueue(real: JobQueue, enqueue: JobQueue['enqueue']): JobQueue {
  return {
    runs: real.runs,
    register: (name, handler) => real.register(name, handler),
    enqueue,
    waitFor: (jobId) => real.waitFor(jobId),
    cancel: (jobId) => real.cancel(jobId),
    startWorkers: (queue, options) => real.startWorkers(queue, options),
    stopWorkers: (options) => real.stopWorkers(options),
    ping: () => real.ping(),
    close: () => real.close(),
  };
}
