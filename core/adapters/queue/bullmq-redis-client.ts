import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { ConnectionClosedError, type IRedisClient, type IRedisTransaction } from 'bullmq';

// BullMQ 6 no longer bundles a Redis driver (ioredis and redis are optional peers, and neither is
// installed here), but it accepts any client implementing its IRedisClient. This is a small RESP2
// client over node:net with exactly the commands BullMQ uses. It does not reconnect: a worker that
// loses Redis fails loudly and its supervisor restarts it; its jobs are recovered as stalled.

type Reply = string | number | null | Error | Reply[];
type Argument = string | number | Buffer | null | undefined;
type Pending = { resolve(reply: Reply): void; reject(error: Error): void };
type Script = { sha: string; lua: string; numberOfKeys: number };

export type RespClientOptions = {
  url?: string;
  host?: string;
  port?: number;
  db?: number;
  username?: string;
  password?: string;
  connectionName?: string;
  [key: string]: unknown;
};

/** Redis answered with an error reply (`-ERR ...`). */
export class RedisReplyError extends Error {}

const CRLF = '\r\n';

function encode(args: Argument[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`)];
  for (const argument of args) {
    const bytes = Buffer.isBuffer(argument)
      ? argument
      : Buffer.from(argument == null ? '' : String(argument));
    parts.push(Buffer.from(`$${bytes.length}${CRLF}`), bytes, Buffer.from(CRLF));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `offset`; undefined when the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): { reply: Reply; next: number } | undefined {
  const end = buffer.indexOf(CRLF, offset);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString('utf8', offset + 1, end);
  switch (type) {
    case '+':
      return { reply: line, next: end + 2 };
    case '-':
      return { reply: new RedisReplyError(line), next: end + 2 };
    case ':':
      return { reply: Number(line), next: end + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, next: end + 2 };
      if (buffer.length < end + 2 + length + 2) return undefined;
      return { reply: buffer.toString('utf8', end + 2, end + 2 + length), next: end + 2 + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: null, next: end + 2 };
      const items: Reply[] = [];
      let next = end + 2;
      for (let index = 0; index < count; index += 1) {
        const item = parseReply(buffer, next);
        if (!item) return undefined;
        items.push(item.reply);
        next = item.next;
      }
      return { reply: items, next };
    }
    default:
      throw new RedisReplyError(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

function flatten(args: unknown[]): Argument[] {
  return args.flatMap((argument) => (Array.isArray(argument) ? flatten(argument) : [argument as Argument]));
}

function pairsToObject(reply: Reply): Record<string, string> {
  const object: Record<string, string> = {};
  const items = (reply ?? []) as string[];
  for (let index = 0; index + 1 < items.length; index += 2)
    object[items[index] as string] = items[index + 1] as string;
  return object;
}

function connectionOptions(options: RespClientOptions) {
  const url = options.url ? new URL(options.url) : undefined;
  const db = url?.pathname && url.pathname.length > 1 ? Number(url.pathname.slice(1)) : options.db;
  return {
    host: url?.hostname || options.host || '127.0.0.1',
    port: url?.port ? Number(url.port) : (options.port ?? 6379),
    db: db ?? 0,
    username: url?.username ? decodeURIComponent(url.username) : options.username,
    password: url?.password ? decodeURIComponent(url.password) : options.password,
  };
}

/**
 * A RESP2 connection implementing BullMQ's IRedisClient; one socket, replies in order. A connection
 * that was up and drops (Redis restarted, a network blip) reconnects with BullMQ's retry strategy,
 * queueing new commands meanwhile; commands in flight fail. One that never came up fails at once,
 * so a command run against a wrong URL reports it instead of waiting forever.
 */
export class RespRedisClient extends EventEmitter implements IRedisClient {
  status = 'wait';
  readonly isCluster = false;
  options: Record<string, unknown>;
  private socket: Socket | undefined;
  private readonly pending: Pending[] = [];
  /** Commands sent while reconnecting; written once the new socket exists. */
  private readonly offline: { args: Argument[]; pending: Pending }[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private scripts = new Map<string, Script>();
  private connecting: Promise<void> | undefined;
  private wasReady = false;
  private closing = false;
  private retries = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(options: RespClientOptions) {
    super();
    this.options = { ...options };
    // Connect eagerly like ioredis: commands written before the socket opens are buffered by it.
    void this.connect().catch(() => {});
  }

  connect(): Promise<void> {
    if (this.status === 'ready') return Promise.resolve();
    if (this.connecting) return this.connecting;
    clearTimeout(this.retryTimer);
    this.closing = false;
    const target = connectionOptions(this.options as RespClientOptions);
    this.status = 'connecting';
    const socket = createConnection({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => this.receive(chunk));
    let lastError: Error | undefined;
    socket.on('error', (error) => {
      lastError = error;
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    socket.on('close', () => this.socketClosed(socket));
    const handshake: Promise<Reply>[] = [];
    if (target.password) {
      handshake.push(
        this.send(target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password]),
      );
    }
    if (target.db) handshake.push(this.send(['SELECT', target.db]));
    const name = this.options.connectionName;
    if (typeof name === 'string') handshake.push(this.send(['CLIENT', 'SETNAME', name]));
    // Observed once the socket connects; never left as an unhandled rejection if it does not.
    const handshakeDone = Promise.all(handshake);
    handshakeDone.catch(() => {});
    for (const { args, pending } of this.offline.splice(0)) this.write(args, pending);
    this.connecting = new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        handshakeDone.then((replies) => {
          const refused = replies.find((reply) => reply instanceof Error);
          if (refused) {
            reject(refused);
            return;
          }
          this.status = 'ready';
          this.connecting = undefined;
          this.wasReady = true;
          this.retries = 0;
          this.emit('ready');
          resolve();
        }, reject);
      });
      socket.once('close', () => reject(lastError ?? new ConnectionClosedError('Connection is closed.')));
    });
    return this.connecting;
  }

  disconnect(_reconnect?: boolean): void {
    this.closing = true;
    this.socket?.destroy();
    this.ended();
  }

  async quit(): Promise<string> {
    if (this.status === 'end') return 'OK';
    this.closing = true;
    try {
      if (this.socket && this.status === 'ready') await this.send(['QUIT']);
    } catch {
      // Already gone: quitting is what we wanted.
    }
    this.socket?.destroy();
    this.ended();
    return 'OK';
  }

  duplicate(overrides?: Record<string, unknown>): RespRedisClient {
    const copy = new RespRedisClient({ ...(this.options as RespClientOptions), ...overrides });
    for (const [name, script] of this.scripts) copy.defineCommand(name, script);
    return copy;
  }

  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void {
    const sha = createHash('sha1').update(definition.lua).digest('hex');
    this.scripts.set(name, { sha, lua: definition.lua, numberOfKeys: definition.numberOfKeys });
    // RedisConnection checks `client[name]` to know whether a script is already defined.
    (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => this.runCommand(name, args);
  }

  async runCommand(name: string, args: unknown[]): Promise<unknown> {
    const script = this.script(name);
    const flat = flatten(args);
    try {
      return await this.call('EVALSHA', script.sha, script.numberOfKeys, ...flat);
    } catch (error) {
      if (!(error instanceof RedisReplyError) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.call('EVAL', script.lua, script.numberOfKeys, ...flat);
    }
  }

  multi(): IRedisTransaction {
    return new RespTransaction(this, true);
  }

  pipeline(): IRedisTransaction {
    return new RespTransaction(this, false);
  }

  /** Sends one command and resolves with its reply; an error reply rejects. */
  async call(...args: Argument[]): Promise<Reply> {
    const reply = await this.send(args);
    if (reply instanceof Error) throw reply;
    return reply;
  }

  /** Sends one command; error replies resolve as Error values (transactions need them in place). */
  send(args: Argument[]): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const pending = { resolve, reject };
      if (this.status === 'reconnecting') this.offline.push({ args, pending });
      else if (this.status === 'end' || !this.socket)
        reject(new ConnectionClosedError('Connection is closed.'));
      else this.write(args, pending);
    });
  }

  private write(args: Argument[], pending: Pending): void {
    this.pending.push(pending);
    this.socket?.write(encode(args));
  }

  script(name: string): Script {
    const script = this.scripts.get(name);
    if (!script) throw new RedisReplyError(`unknown script ${name}`);
    return script;
  }

  async hgetall(key: string) {
    return pairsToObject(await this.call('HGETALL', key));
  }
  async hget(key: string, field: string) {
    return (await this.call('HGET', key, field)) as string | null;
  }
  async hmget(key: string, ...fields: string[]) {
    return (await this.call('HMGET', key, ...fields)) as (string | null)[];
  }
  async hset(key: string, data: Record<string, string | number>) {
    return (await this.call('HSET', key, ...Object.entries(data).flat())) as number;
  }
  async hdel(key: string, ...fields: string[]) {
    return (await this.call('HDEL', key, ...fields)) as number;
  }
  async hexists(key: string, field: string) {
    return (await this.call('HEXISTS', key, field)) as number;
  }
  async get(key: string) {
    return (await this.call('GET', key)) as string | null;
  }
  async set(key: string, value: string | number, options?: { PX?: number; EX?: number }) {
    const expiry = options?.PX != null ? ['PX', options.PX] : options?.EX != null ? ['EX', options.EX] : [];
    return (await this.call('SET', key, value, ...expiry)) as string | null;
  }
  async del(...keys: string[]) {
    return keys.length === 0 ? 0 : ((await this.call('DEL', ...keys)) as number);
  }
  async zrange(key: string, start: number, end: number, options?: { WITHSCORES?: boolean }) {
    return (await this.call(
      'ZRANGE',
      key,
      start,
      end,
      ...(options?.WITHSCORES ? ['WITHSCORES'] : []),
    )) as string[];
  }
  async zrevrange(key: string, start: number, end: number, options?: { WITHSCORES?: boolean }) {
    return (await this.call(
      'ZREVRANGE',
      key,
      start,
      end,
      ...(options?.WITHSCORES ? ['WITHSCORES'] : []),
    )) as string[];
  }
  async zcard(key: string) {
    return (await this.call('ZCARD', key)) as number;
  }
  async zscore(key: string, member: string) {
    return (await this.call('ZSCORE', key, member)) as string | null;
  }
  async lrange(key: string, start: number, end: number) {
    return (await this.call('LRANGE', key, start, end)) as string[];
  }
  async llen(key: string) {
    return (await this.call('LLEN', key)) as number;
  }
  async ltrim(key: string, start: number, end: number) {
    return (await this.call('LTRIM', key, start, end)) as string;
  }
  async lpos(key: string, value: string) {
    return (await this.call('LPOS', key, value)) as number | null;
  }
  async smembers(key: string) {
    return (await this.call('SMEMBERS', key)) as string[];
  }
  async xadd(
    key: string,
    id: string,
    fields: Record<string, string | number>,
    options?: { MAXLEN?: number; approximate?: boolean },
  ) {
    const trim =
      options?.MAXLEN != null
        ? ['MAXLEN', ...(options.approximate === false ? [] : ['~']), options.MAXLEN]
        : [];
    return (await this.call('XADD', key, ...trim, id, ...Object.entries(fields).flat())) as string;
  }
  async xread(streams: { key: string; id: string }[], options?: { BLOCK?: number; COUNT?: number }) {
    return this.call(
      'XREAD',
      ...(options?.BLOCK != null ? ['BLOCK', options.BLOCK] : []),
      ...(options?.COUNT != null ? ['COUNT', options.COUNT] : []),
      'STREAMS',
      ...streams.map((stream) => stream.key),
      ...streams.map((stream) => stream.id),
    );
  }
  async xtrim(key: string, strategy: 'MAXLEN', threshold: number, options?: { approximate?: boolean }) {
    return (await this.call(
      'XTRIM',
      key,
      strategy,
      ...(options?.approximate === false ? [] : ['~']),
      threshold,
    )) as number;
  }
  async bzpopmin(key: string, timeout: number) {
    return (await this.call('BZPOPMIN', key, timeout)) as [string, string, string] | null;
  }
  async info() {
    return (await this.call('INFO')) as string;
  }
  async clientSetName(name: string) {
    return this.call('CLIENT', 'SETNAME', name);
  }
  async clientList() {
    return (await this.call('CLIENT', 'LIST')) as string;
  }
  async clientInfo() {
    return (await this.call('CLIENT', 'INFO')) as string;
  }
  /** ioredis-style `client('LIST')`, which parts of BullMQ still call. */
  async client(...args: string[]) {
    return this.call('CLIENT', ...args);
  }
  async scan(cursor: string | number, options: { MATCH?: string; COUNT?: number }) {
    const reply = (await this.call(
      'SCAN',
      cursor,
      ...(options.MATCH != null ? ['MATCH', options.MATCH] : []),
      ...(options.COUNT != null ? ['COUNT', options.COUNT] : []),
    )) as [string, string[]];
    return reply;
  }
  scanStream(options: { match: string; count?: number }): Readable {
    let cursor = '0';
    let done = false;
    const readable: Readable = new Readable({
      objectMode: true,
      read: () => {
        if (done) {
          readable.push(null);
          return;
        }
        this.scan(cursor, { MATCH: options.match, COUNT: options.count ?? 100 }).then(
          ([next, keys]) => {
            cursor = next;
            done = next === '0';
            readable.push(keys);
          },
          (error: Error) => readable.destroy(error),
        );
      },
    });
    return readable;
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseReply(this.buffer, offset);
      if (!parsed) break;
      offset = parsed.next;
      this.pending.shift()?.resolve(parsed.reply);
    }
    this.buffer = this.buffer.subarray(offset);
  }

  private failPending(error: Error): void {
    for (const pending of this.pending.splice(0)) pending.reject(error);
  }

  private socketClosed(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.connecting = undefined;
    this.failPending(new ConnectionClosedError('Connection is closed.'));
    const delay = this.closing || !this.wasReady ? null : this.retryDelay();
    if (delay === null) {
      this.ended();
      return;
    }
    this.status = 'reconnecting';
    this.emit('close');
    this.emit('reconnecting', delay);
    this.retryTimer = setTimeout(() => void this.connect().catch(() => {}), delay);
  }

  /** BullMQ's own retry strategy when it passed one (it always does), else a capped backoff. */
  private retryDelay(): number | null {
    this.retries += 1;
    const strategy = this.options.retryStrategy;
    const delay =
      typeof strategy === 'function'
        ? (strategy as (times: number) => number | undefined | null)(this.retries)
        : Math.min(this.retries * 200, 5_000);
    return typeof delay === 'number' ? delay : null;
  }

  private ended(): void {
    clearTimeout(this.retryTimer);
    if (this.status === 'end') return;
    this.status = 'end';
    const closed = new ConnectionClosedError('Connection is closed.');
    this.failPending(closed);
    for (const { pending } of this.offline.splice(0)) pending.reject(closed);
    this.emit('close');
    this.emit('end');
  }
}

/** MULTI (atomic) or a plain pipeline; scripts run with EVAL so no NOSCRIPT can abort a MULTI. */
class RespTransaction implements IRedisTransaction {
  private readonly commands: { args: Argument[]; transform(reply: Reply): unknown }[] = [];

  constructor(
    private readonly client: RespRedisClient,
    private readonly atomic: boolean,
  ) {}

  private add(args: Argument[], transform: (reply: Reply) => unknown = (reply) => reply): this {
    this.commands.push({ args, transform });
    return this;
  }

  hgetall(key: string) {
    return this.add(['HGETALL', key], pairsToObject);
  }
  hset(key: string, data: Record<string, string | number>) {
    return this.add(['HSET', key, ...Object.entries(data).flat()]);
  }
  hscan(key: string, cursor: string | number, options?: { COUNT?: number }) {
    return this.add(['HSCAN', key, cursor, ...(options?.COUNT != null ? ['COUNT', options.COUNT] : [])]);
  }
  smembers(key: string) {
    return this.add(['SMEMBERS', key]);
  }
  sscan(key: string, cursor: string | number, options?: { COUNT?: number }) {
    return this.add(['SSCAN', key, cursor, ...(options?.COUNT != null ? ['COUNT', options.COUNT] : [])]);
  }
  zrange(key: string, start: number, end: number) {
    return this.add(['ZRANGE', key, start, end]);
  }
  lrange(key: string, start: number, end: number) {
    return this.add(['LRANGE', key, start, end]);
  }
  llen(key: string) {
    return this.add(['LLEN', key]);
  }
  del(...keys: string[]) {
    return this.add(['DEL', ...keys]);
  }
  runCommand(name: string, args: unknown[]) {
    const script = this.client.script(name);
    return this.add(['EVAL', script.lua, script.numberOfKeys, ...flatten(args)]);
  }

  async exec(): Promise<[Error | null, unknown][] | null> {
    const commands = this.commands.splice(0);
    const settle = (reply: Reply, index: number): [Error | null, unknown] =>
      reply instanceof Error
        ? [reply, null]
        : [null, (commands[index] as (typeof commands)[number]).transform(reply)];
    if (!this.atomic) {
      const replies = await Promise.all(commands.map((command) => this.client.send(command.args)));
      return replies.map(settle);
    }
    const queued = [
      this.client.send(['MULTI']),
      ...commands.map((command) => this.client.send(command.args)),
    ];
    const exec = this.client.send(['EXEC']);
    const acknowledgements = await Promise.all(queued);
    const replies = await exec;
    const refused = acknowledgements.find((reply) => reply instanceof Error);
    if (replies instanceof Error) throw refused ?? replies;
    if (replies === null) return null;
    return (replies as Reply[]).map(settle);
  }
}
