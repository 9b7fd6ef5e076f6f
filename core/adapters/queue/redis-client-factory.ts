import { createIORedisClient, type IRedisClient, RedisConnection } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/** While set, every client the factory makes is added here (see `withCreatedClients`). */
let collecting: Redis[] | undefined;

/**
 * BullMQ 6 treats its Redis driver as an optional peer and, in ES modules, cannot load ioredis by
 * itself; this hands it ioredis clients. Connections that BullMQ marks as blocking (workers, queue
 * events: `maxRetriesPerRequest: null`) retry forever, as BullMQ requires. Producer connections
 * (enqueue, cancel, state reads) give up after a few retries, so `twin crawl` or the API answer
 * "Redis is unreachable" instead of hanging while Redis is down.
 */
export function useIoRedisForBullMq(): void {
  RedisConnection.clientFactory = (options) => {
    const { url, ...rest } = options as RedisOptions & { url?: string };
    const blocking = rest.maxRetriesPerRequest === null;
    const settings: RedisOptions = blocking
      ? rest
      : { ...rest, maxRetriesPerRequest: rest.maxRetriesPerRequest ?? 2, connectTimeout: 5_000 };
    const client = url ? new Redis(url, settings) : new Redis(settings);
    collecting?.push(client);
    return createIORedisClient(client) as unknown as IRedisClient;
  };
}

/**
 * Runs `create` (which constructs BullMQ objects) and returns the Redis clients it made. BullMQ
 * objects make their clients in their constructors, and their `close()` first waits for a
 * connection that an unreachable Redis never gives; disconnecting these clients is what stops
 * them retrying, so a process can give up on Redis and exit.
 */
export function withCreatedClients<T>(create: () => T): { value: T; clients: Redis[] } {
  const clients: Redis[] = [];
  const outer = collecting;
  collecting = clients;
  try {
    return { value: create(), clients };
  } finally {
    collecting = outer;
    outer?.push(...clients);
  }
}
