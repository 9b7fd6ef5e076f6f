import { type MessagePort, parentPort } from 'node:worker_threads';
import type { Embedder } from '../../ports/embedder.ts';
import { type PoolReply, type PoolRequest, serializeError } from './embedder-pool-protocol.ts';

/**
 * The worker side of EmbedderPool: builds one embedder, reports its identity, then embeds the
 * batches it is sent, one at a time, until told to close.
 */
export async function serveEmbedder(
  build: () => Promise<Embedder>,
  port: MessagePort | null = parentPort,
): Promise<void> {
  if (!port) throw new Error('serveEmbedder must run inside a worker thread');
  const reply = (message: PoolReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

  let embedder: Embedder;
  try {
    embedder = await build();
  } catch (error) {
    reply({ type: 'failed', error: serializeError(error) });
    port.close();
    return;
  }

  port.on('message', async (request: PoolRequest) => {
    if (request.type === 'close') {
      await embedder.close().catch(() => undefined);
      port.close();
      return;
    }
    try {
      const vectors = await embedder.embed(request.texts);
      // Move the buffers instead of copying them when each vector owns a whole one of its own.
      const buffers = vectors.flatMap((vector) =>
        vector.buffer instanceof ArrayBuffer && vector.byteLength === vector.buffer.byteLength
          ? [vector.buffer]
          : [],
      );
      const movable = new Set(buffers).size === vectors.length;
      reply({ type: 'vectors', job: request.job, vectors }, movable ? buffers : []);
    } catch (error) {
      reply({ type: 'error', job: request.job, error: serializeError(error) });
    }
  });
  reply({
    type: 'ready',
    id: embedder.id,
    dimensions: embedder.dimensions,
    maxBatchSize: embedder.maxBatchSize,
  });
}
