import { errorMessage, ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import type { TwinGenerator } from './twin-generator.ts';

export type GeneratorCacheOptions = {
  /** Generators kept at once; a local checkpoint holds its weights in memory. */
  capacity?: number;
  create: (version: ModelVersion | null) => Promise<TwinGenerator>;
  logger?: Logger;
};

/**
 * Keeps the generators of the last few model versions served (least recently used goes first),
 * so a request does not reload a checkpoint, and concurrent first requests share one load. An
 * evicted generator is closed; a local model frees its weights once its answers in progress end.
 * Generators handed out belong to the cache: callers must not close them.
 */
export class GeneratorCache {
  private readonly capacity: number;
  private readonly create: GeneratorCacheOptions['create'];
  private readonly logger: Logger | undefined;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, Promise<TwinGenerator>>();
  private closed = false;

  constructor(options: GeneratorCacheOptions) {
    this.capacity = Math.max(1, options.capacity ?? 2);
    this.create = options.create;
    this.logger = options.logger;
  }

  /** `name:version`, or `extractive` when no version is registered. */
  static keyOf(version: ModelVersion | null): string {
    return version ? `${version.name}:${version.version}` : 'extractive';
  }

  get size(): number {
    return this.entries.size;
  }

  get(version: ModelVersion | null): Promise<TwinGenerator> {
    if (this.closed) return Promise.reject(new ValidationError('the generator cache is closed'));
    const key = GeneratorCache.keyOf(version);
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const created = this.create(version);
    this.entries.set(key, created);
    // A failed load is not remembered: the next request tries again.
    created.catch(() => {
      if (this.entries.get(key) === created) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) {
      const [oldest, generator] = this.entries.entries().next().value as [string, Promise<TwinGenerator>];
      this.entries.delete(oldest);
      this.logger?.info('generator evicted', { model: oldest });
      void this.dispose(oldest, generator);
    }
    return created;
  }

  /** Closes every generator; the cache cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.entries];
    this.entries.clear();
    await Promise.all(all.map(([key, generator]) => this.dispose(key, generator)));
  }

  private async dispose(key: string, generator: Promise<TwinGenerator>): Promise<void> {
    let loaded: TwinGenerator;
    try {
      loaded = await generator;
    } catch {
      // It never loaded (its caller got that error): nothing to close.
      return;
    }
    try {
      await loaded.close();
    } catch (error) {
      this.logger?.warn('closing a generator failed', { model: key, error: errorMessage(error) });
    }
  }
}
