// Worker threads start as plain Node: neither Vitest's transform nor `--import tsx` reaches them
// (Node 20 refuses `--import` in a worker's execArgv), so each worker registers tsx itself before
// loading its TypeScript entry. Registering again under `node --import tsx` is harmless.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
