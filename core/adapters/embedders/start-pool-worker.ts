import { Worker } from 'node:worker_threads';
import { ServiceError } from '../../errors.ts';
import type { LocalEmbedderConfig } from './create-single-embedder.ts';
import { deserializeError, PoolReply } from './embedder-pool-protocol.ts';

/** What every worker of one pool must agree on. */
export interface WorkerIdentity {
  id: string;
  dimensions: number;
  maxBatchSize: number;
}

/** A running pool worker thread and what the pool knows about it. */
export interface PoolWorker {
  name: string;
  worker: Worker;
  identity: WorkerIdentity;
  /** The uncaught error that killed the thread, if one did ('error' comes before 'exit'). */
  readonly crash: Error | undefined;
  /** Set once the thread has exited, even before the pool started listening. */
  readonly exitCode: number | undefined;
}

const bootstrap = new URL('./embedder-pool-bootstrap.mjs', import.meta.url);
const defaultWorkerModule = new URL('./embedder-pool-worker.ts', import.meta.url);

/** Starts one worker thread and resolves once its embedder is built; rejects with the worker's own error. */
export function startPoolWorker(
  options: { config: LocalEmbedderConfig; workerModule?: URL | undefined },
  name: string,
): Promise<PoolWorker> {
  const worker = new Worker(bootstrap, {
    name,
    workerData: { module: (options.workerModule ?? defaultWorkerModule).href, config: options.config },
  });
  const state: { crash: Error | undefined; exitCode: number | undefined } = {
    crash: undefined,
    exitCode: undefined,
  };
  // Listening for 'error' for the thread's whole life: an unheard one would crash this process.
  worker.on('error', (error) => {
    state.crash = error;
  });
  worker.on('exit', (code) => {
    state.exitCode = code;
  });

  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      outcome();
    };
    const onMessage = (message: unknown) => {
      const parsed = PoolReply.safeParse(message);
      if (parsed.success && parsed.data.type === 'ready') {
        const { id, dimensions, maxBatchSize } = parsed.data;
        const started: PoolWorker = {
          name,
          worker,
          identity: { id, dimensions, maxBatchSize },
          get crash() {
            return state.crash;
          },
          get exitCode() {
            return state.exitCode;
          },
        };
        settle(() => resolve(started));
        return;
      }
      const error =
        parsed.success && parsed.data.type === 'failed' ? deserializeError(parsed.data.error) : undefined;
      settle(() => reject(error ?? new ServiceError(`${name} sent an unexpected first message`)));
      void worker.terminate();
    };
    const onExit = (code: number) => {
      const reason = state.crash
        ? `failed to start: ${state.crash.message}`
        : `exited with code ${code} while starting`;
      settle(() => reject(new ServiceError(`${name} ${reason}`, { cause: state.crash })));
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}
