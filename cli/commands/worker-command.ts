import { Command } from 'commander';
import { ConfigError, errorMessage, ValidationError } from '../../core/errors.ts';
import { QueueName } from '../../core/jobs/job-contracts.ts';
import { type OutboxRelay, startOutboxRelay } from '../../core/outbox/outbox-relay.ts';
import { configFor, print, withRuntime } from '../cli-context.ts';
import { waitForStopSignal } from '../wait-for-stop-signal.ts';

/** Default time the job in flight gets to finish after SIGTERM before it is handed back. */
const defaultGraceSeconds = 30;

/**
 * `twin worker <queue>`: runs one pipeline's jobs from BullMQ until SIGTERM/SIGINT. Start as many
 * as you like, on any machine that reaches the same Redis, metadata store and vector store.
 */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run the jobs of one pipeline queue (feature, training, inference) from BullMQ')
    .argument('<queue>', `pipeline queue: ${QueueName.options.join(', ')}`)
    .option('--concurrency <n>', 'jobs this process runs at once (default: stores.queue.concurrency)')
    .option(
      '--grace <seconds>',
      `on SIGTERM, how long the job in flight may finish before it is handed back (default ${defaultGraceSeconds})`,
    )
    .action(async function (
      this: Command,
      queueArgument: string,
      options: { concurrency?: string; grace?: string },
    ) {
      const queueName = QueueName.safeParse(queueArgument);
      if (!queueName.success) {
        throw new ValidationError(
          `unknown queue "${queueArgument}"; expected one of: ${QueueName.options.join(', ')}`,
        );
      }
      const concurrency = optionalPositive(options.concurrency, '--concurrency', 64);
      const graceSeconds = optionalPositive(options.grace, '--grace', 3600) ?? defaultGraceSeconds;
      const selected = configFor(this).stores.queue;
      if (selected.driver !== 'bullmq') {
        throw new ConfigError([
          `twin worker needs stores.queue.driver: bullmq (configured: ${selected.driver}); the in-process queue runs jobs inside the process that enqueues them`,
        ]);
      }
      await withRuntime(this, async (runtime) => {
        // Listen for the stop signals first, so a SIGTERM during start-up still stops gracefully.
        const signalled = waitForStopSignal();
        const queue = runtime.queue;
        if (queue.runs !== 'worker-processes') {
          throw new ConfigError([
            `stores.queue.driver ${selected.driver} runs jobs in the process that enqueues them`,
          ]);
        }
        let relay: OutboxRelay | undefined;
        // A stop signal during start-up (Redis slow or unreachable) ends the start at once.
        const startUp = new AbortController();
        void signalled.promise.then(() => startUp.abort());
        try {
          try {
            await queue.startWorkers(queueName.data, {
              concurrency: concurrency ?? selected.concurrency,
              signal: startUp.signal,
            });
          } catch (error) {
            if (!startUp.signal.aborted) throw error;
            runtime.logger.info('stopped before the worker was ready', { reason: errorMessage(error) });
            return;
          }
          // Feature workers also relay changed documents from the outbox into feature builds; with
          // several of them, claims and deterministic job ids keep every change built exactly once.
          if (queueName.data === 'feature') {
            relay = startOutboxRelay({
              outbox: runtime.metadata.outbox,
              queue,
              logger: runtime.logger,
              batchSize: runtime.config.features.changeCapture.batchSize,
              intervalMs: runtime.config.features.changeCapture.pollIntervalMs,
            });
          }
          print(
            `twin worker ${queueName.data} ready (pid ${process.pid}, concurrency ${concurrency ?? selected.concurrency}, prefix ${selected.prefix})`,
          );
          const signal = await signalled.promise;
          runtime.logger.info('stopping: finishing the jobs in flight', { signal, graceSeconds });
          // One grace for everything: the relay's pass in progress comes out of it.
          const deadline = performance.now() + graceSeconds * 1000;
          await relay?.stop();
          relay = undefined;
          await queue.stopWorkers({ graceMs: Math.max(0, deadline - performance.now()) });
          runtime.logger.info('stopped');
        } finally {
          signalled.dispose();
          await relay?.stop();
        }
      });
    });
}

function optionalPositive(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
    throw new ValidationError(`${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  }
  return parsed;
}
