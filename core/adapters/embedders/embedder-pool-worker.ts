// Entry module of every EmbedderPool worker thread (loaded through embedder-pool-bootstrap.mjs).
import { workerData } from 'node:worker_threads';
import { createSingleEmbedder, type LocalEmbedderConfig } from './create-single-embedder.ts';
import { serveEmbedder } from './serve-embedder.ts';

// The pool passes a config it took from the parsed TwinConfig; structured cloning keeps it intact.
const { config } = workerData as { config: LocalEmbedderConfig };
// One engine thread per worker: the pool already puts one worker on each core.
await serveEmbedder(() => createSingleEmbedder(config, { threads: 1 }));
