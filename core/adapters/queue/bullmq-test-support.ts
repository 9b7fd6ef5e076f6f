import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '../../logger.ts';
import type { MetadataStore } from '../../ports/metadata-store.ts';
import { openSqliteDatabase, type SqliteDatabase } from '../sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../sqlite/sqlite-metadata-store.ts';
import { BullMqJobQueue, type BullMqJobQueueOptions } from './bullmq-job-queue.ts';

/** The Redis every BullMQ test talks to (only 127.0.0.1). */
export const testRedisUrl = process.env.TWIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** A fresh key prefix per test file, so parallel test runs never see each other's queues. */
export function testPrefix(): string {
  return `twin-test-${randomBytes(6).toString('hex')}`;
}

/** Deletes every key under `prefix` (BullMQ's obliterate leaves the events stream and meta keys). */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const client = new Redis(testRedisUrl);
  try {
    let deleted = 0;
    for await (const keys of client.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length > 0) deleted += await client.del(...keys);
    }
    return deleted;
  } finally {
    client.disconnect();
  }
}

/** Counts keys under `prefix` (tests check that cleanup really cleaned). */
export async function countRedisKeys(prefix: string): Promise<number> {
  const client = new Redis(testRedisUrl);
  try {
    let count = 0;
    for await (const keys of client.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<
      string[]
    >) {
      count += keys.length;
    }
    return count;
  } finally {
    client.disconnect();
  }
}

/** An in-memory SQLite metadata store for job records. */
export async function openTestMetadata(): Promise<{ metadata: MetadataStore; close(): Promise<void> }> {
  const database: SqliteDatabase = openSqliteDatabase(':memory:');
  const metadata = createSqliteMetadataStore(database);
  await metadata.migrate();
  return {
    metadata,
    close: async () => {
      await metadata.close();
      database.close();
    },
  };
}

/** A BullMQ queue on the test Redis with short timings, sharing `metadata` for its records. */
export function openTestQueue(
  metadata: MetadataStore,
  prefix: string,
  overrides: Partial<BullMqJobQueueOptions> = {},
): BullMqJobQueue {
  return new BullMqJobQueue(metadata.jobs, {
    url: testRedisUrl,
    prefix,
    attempts: 1,
    backoffMs: 10,
    stalledIntervalMs: 1000,
    lockDurationMs: 5000,
    logger: silentLogger,
    pollMs: 20,
    ...overrides,
  });
}
