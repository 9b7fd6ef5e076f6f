import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
// Must come before the wasm backend import: see tfjs-prod-mode.ts.
import './tfjs-prod-mode.ts';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { errorMessage } from '../errors.ts';
import { type Logger, silentLogger } from '../logger.ts';

export type TfjsBackendName = 'wasm' | 'cpu';

export type TfjsRuntime = { tf: typeof tf; backend: TfjsBackendName };

let starting: Promise<TfjsRuntime> | undefined;

/**
 * Starts tfjs once per process on the wasm backend (XNNPACK, SIMD: ~20 GFLOP/s per core here,
 * about 10× the plain JS 'cpu' backend). Every caller awaits the same start, so concurrent
 * first uses cannot race on `setBackend`. Falls back to 'cpu', with a warning, only when wasm
 * cannot start.
 */
export function initTfjs(options: { logger?: Logger; backend?: TfjsBackendName } = {}): Promise<TfjsRuntime> {
  starting ??= start(options.logger ?? silentLogger, options.backend ?? 'wasm');
  return starting;
}

async function start(logger: Logger, preferred: TfjsBackendName): Promise<TfjsRuntime> {
  if (preferred === 'wasm') {
    try {
      setWasmPaths(wasmFolder());
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
      await tf.ready();
      return { tf, backend: 'wasm' };
    } catch (error) {
      logger.warn('tfjs wasm backend failed to start; falling back to the slow cpu backend', {
        error: errorMessage(error),
      });
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu' };
}

/**
 * The folder holding the package's own .wasm binaries, found on disk through Node's resolver:
 * tfjs would otherwise look next to the calling script or fetch from a CDN, and this machine has
 * no network.
 */
function wasmFolder(): string {
  const require = createRequire(import.meta.url);
  const folder = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const binary = join(folder, 'tfjs-backend-wasm-simd.wasm');
  if (!existsSync(binary)) throw new Error(`tfjs wasm binary not found at ${binary}`);
  return `${folder}${sep}`;
}
