import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisReplyError, RespRedisClient } from './bullmq-redis-client.ts';
import { countRedisKeys, deleteRedisKeys, testPrefix, testRedisUrl } from './bullmq-test-support.ts';

// The RESP client BullMQ runs on, against the real Redis; keys live under one random prefix.
const prefix = testPrefix();

afterAll(async () => {
  await deleteRedisKeys(prefix);
  expect(await countRedisKeys(prefix)).toBe(0);
});

describe('RespRedisClient', () => {
  let client: RespRedisClient;
  beforeEach(async () => {
    client = new RespRedisClient({ url: testRedisUrl, connectionName: `${prefix}-client` });
    await client.connect();
  });
  afterEach(async () => {
    await client.quit();
  });

  it('speaks the commands BullMQ uses, with ioredis-shaped replies', async () => {
    const hash = `${prefix}:hash`;
    expect(await client.hset(hash, { name: 'feature.build', attempts: 3 })).toBe(2);
    expect(await client.hgetall(hash)).toEqual({ name: 'feature.build', attempts: '3' });
    expect(await client.hmget(hash, 'name', 'missing')).toEqual(['feature.build', null]);
    expect(await client.set(`${prefix}:lock`, 'token', { PX: 60_000 })).toBe('OK');
    // Binary arguments (BullMQ packs some with msgpack) and UTF-8 text survive the round trip.
    expect(await client.call('SET', `${prefix}:bytes`, Buffer.from('héllo ✓'))).toBe('OK');
    expect(await client.get(`${prefix}:bytes`)).toBe('héllo ✓');
    expect(await client.call('ZADD', `${prefix}:zset`, 2, 'b', 1, 'a')).toBe(2);
    expect(await client.zrange(`${prefix}:zset`, 0, -1, { WITHSCORES: true })).toEqual(['a', '1', 'b', '2']);
    expect(await client.bzpopmin(`${prefix}:zset`, 0.01)).toEqual([`${prefix}:zset`, 'a', '1']);
    const [cursor, keys] = await client.scan('0', { MATCH: `${prefix}:h*`, COUNT: 1000 });
    expect(typeof cursor).toBe('string');
    expect(Array.isArray(keys)).toBe(true);
    await expect(client.call('HGET', `${prefix}:bytes`, 'field')).rejects.toThrow(RedisReplyError);
  });

  it('runs scripts by sha and falls back to EVAL when Redis does not know them yet', async () => {
    // A script body no one has loaded: EVALSHA answers NOSCRIPT, then EVAL runs it.
    client.defineCommand('twinTest', {
      numberOfKeys: 1,
      lua: `-- ${randomUUID()}\nredis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])`,
    });
    expect(await client.runCommand('twinTest', [`${prefix}:script`, 'first'])).toBe('first');
    expect(await client.runCommand('twinTest', [[`${prefix}:script`, 'second']])).toBe('second');
    // Duplicates (BullMQ's blocking connections) know the same scripts.
    const copy = client.duplicate({ connectionName: `${prefix}-copy` });
    try {
      expect(await copy.runCommand('twinTest', [`${prefix}:script`, 'third'])).toBe('third');
    } finally {
      await copy.quit();
    }
  });

  it('returns MULTI results in order, an error reply in its own slot', async () => {
    const results = await client
      .multi()
      .hset(`${prefix}:multi`, { a: '1' })
      .hgetall(`${prefix}:multi`)
      .lrange(`${prefix}:multi`, 0, -1)
      .del(`${prefix}:multi`)
      .exec();
    expect(results?.[0]).toEqual([null, 1]);
    expect(results?.[1]).toEqual([null, { a: '1' }]);
    expect(results?.[2]?.[0]).toBeInstanceOf(RedisReplyError);
    expect(results?.[3]).toEqual([null, 1]);
    const piped = await client.pipeline().llen(`${prefix}:none`).smembers(`${prefix}:none`).exec();
    expect(piped).toEqual([
      [null, 0],
      [null, []],
    ]);
  });

  it('reconnects after Redis drops a connection that was up, and keeps serving commands', async () => {
    const before = await client.call('CLIENT', 'ID');
    const reconnecting = new Promise((resolve) => client.once('reconnecting', resolve));
    const ready = new Promise((resolve) => client.once('ready', resolve));
    const admin = new RespRedisClient({ url: testRedisUrl });
    try {
      await admin.connect();
      // Only our own connection, by id: other test runs share this Redis.
      expect(await admin.call('CLIENT', 'KILL', 'ID', before as number)).toBe(1);
    } finally {
      await admin.quit();
    }
    await reconnecting;
    // Sent while reconnecting: queued, then answered on the new connection.
    const answered = client.call('PING');
    await ready;
    expect(await answered).toBe('PONG');
    expect(client.status).toBe('ready');
    const after = await client.call('CLIENT', 'ID');
    expect(after).not.toBe(before);
    // The connection name (BullMQ uses it to find its workers) is set again on the new connection.
    expect(await client.call('CLIENT', 'GETNAME')).toBe(`${prefix}-client`);
  });

  it('fails at once, with the reason, when Redis was never reachable', async () => {
    const unreachable = new RespRedisClient({ url: 'redis://127.0.0.1:1/0' });
    await expect(unreachable.connect()).rejects.toThrow(/ECONNREFUSED/);
    expect(unreachable.status).toBe('end');
    await expect(unreachable.call('PING')).rejects.toThrow(/Connection is closed/);
    await sleep(1);
  });
});
