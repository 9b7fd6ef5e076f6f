// A pool worker that embeds with the real configured embedder, but misbehaves on cue so tests can
// watch the pool survive: "crash now" ends the thread, "throw now" throws outside any promise
// (an uncaught exception), "refuse now" rejects the batch with a ValidationError.
import { workerData } from 'node:worker_threads';
import { ValidationError } from '../../../errors.ts';
import type { Embedder } from '../../../ports/embedder.ts';
import { createSingleEmbedder, type LocalEmbedderConfig } from '../create-single-embedder.ts';
import { serveEmbedder } from '../serve-embedder.ts';

const { config } = workerData as { config: LocalEmbedderConfig };

await serveEmbedder(async (): Promise<Embedder> => {
  const embedder = await createSingleEmbedder(config, { threads: 1 });
  return {
    id: embedder.id,
    dimensions: embedder.dimensions,
    maxBatchSize: embedder.maxBatchSize,
    close: () => embedder.close(),
    embed: async (texts) => {
      if (texts.includes('crash now')) process.exit(3);
      if (texts.includes('throw now')) {
        setImmediate(() => {
          throw new Error('engine blew up');
        });
        return new Promise<Float32Array[]>(() => undefined);
      }
      if (texts.includes('refuse now')) throw new ValidationError('the engine refused this batch');
      return embedder.embed(texts);
    },
  };
});
