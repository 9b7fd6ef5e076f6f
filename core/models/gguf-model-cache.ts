import { errorMessage, type TwinError, ValidationError } from '../errors.ts';
import { fileSha256 } from '../hashing.ts';
import type { Logger } from '../logger.ts';
import { type Llama, type LlamaModel, loadNodeLlamaCpp, type NodeLlamaCpp } from './load-node-llama-cpp.ts';

/** A GGUF file to load (or share, when it is loaded already) and how llama.cpp runs it. */
export type GgufModelRequest = {
  /** Absolute path. */
  path: string;
  /** Checked before the file is loaded; null: not checked. */
  sha256: string | null;
  /** llama.cpp's thread limit, set by whoever loads the file first. */
  threads: number;
  gpu: boolean;
  logger?: Logger;
  /** The error for a file that does not hash to `sha256`, given the hash it has. */
  mismatch(actual: string): TwinError;
};

/** One user's hold on a loaded model: it stays in memory until every holder has released it. */
export type GgufModelLease = {
  readonly module: NodeLlamaCpp;
  readonly model: LlamaModel;
  /**
   * Runs `create` (a context with the adapter at `path`) unless this model already holds other
   * bytes from that path: node-llama-cpp keeps each adapter it loads, by path, for the model's life,
   * so a file changed under the same name would be served as it was.
   */
  useAdapter<T>(path: string, sha256: string, create: () => Promise<T>): Promise<T>;
  /** Lets go of the model; the last holder frees it. Releasing twice does nothing. */
  release(): Promise<void>;
};

type Loaded = { module: NodeLlamaCpp; llama: Llama; model: LlamaModel };
type Entry = { loaded: Promise<Loaded>; holders: number; adapters: Map<string, string> };

/**
 * The GGUF models loaded in this process, each once per file and sha256 however many versions
 * run on it (a base and its LoRA adapter versions, each with its own context), counted by holder
 * and freed when the last one lets go.
 */
export class GgufModelCache {
  private readonly entries = new Map<string, Entry>();
  private loadCount = 0;

  /** Files loaded from disk so far; a second holder of a loaded file does not add one. */
  get loads(): number {
    return this.loadCount;
  }

  /** Models in memory (or loading) now. */
  get size(): number {
    return this.entries.size;
  }

  async acquire(request: GgufModelRequest): Promise<GgufModelLease> {
    const key = [request.path, request.sha256 ?? '', request.gpu].join('\n');
    let entry = this.entries.get(key);
    if (!entry) {
      const created: Entry = { loaded: this.load(request), holders: 0, adapters: new Map() };
      this.entries.set(key, created);
      // A failed load is not remembered: the next request tries again.
      created.loaded.catch(() => {
        if (this.entries.get(key) === created) this.entries.delete(key);
      });
      entry = created;
    }
    const held = entry;
    held.holders++;
    let loaded: Loaded;
    try {
      loaded = await held.loaded;
    } catch (error) {
      held.holders--;
      throw error;
    }
    let released = false;
    return {
      module: loaded.module,
      model: loaded.model,
      useAdapter: async (path, sha256, create) => {
        const before = held.adapters.get(path);
        if (before !== undefined && before !== sha256)
          throw new ValidationError(
            `LoRA adapter ${path} now has sha256 ${sha256}, but this process loaded it on ${request.path} with sha256 ${before}, and llama.cpp keeps those bytes until the base model is closed: give a changed adapter a new file name`,
          );
        held.adapters.set(path, sha256);
        try {
          return await create();
        } catch (error) {
          if (before === undefined) held.adapters.delete(path);
          throw error;
        }
      },
      release: async () => {
        if (released) return;
        released = true;
        held.holders--;
        if (held.holders > 0) return;
        if (this.entries.get(key) === held) this.entries.delete(key);
        await loaded.model.dispose();
        await loaded.llama.dispose();
      },
    };
  }

  private async load(request: GgufModelRequest): Promise<Loaded> {
    if (request.sha256) {
      const actual = await fileSha256(request.path);
      if (actual !== request.sha256) throw request.mismatch(actual);
    }
    const module = await loadNodeLlamaCpp();
    const logger = request.logger;
    const llama = await module.getLlama({
      gpu: request.gpu ? 'auto' : false,
      // Never compile or download at run time: the machines are offline.
      build: 'never',
      skipDownload: true,
      maxThreads: request.threads,
      progressLogs: false,
      logLevel: 'error',
      ...(logger
        ? { logger: (level: string, message: string) => logger.debug(message.trim(), { llama: level }) }
        : {}),
    });
    try {
      const model = await llama.loadModel({ modelPath: request.path });
      this.loadCount++;
      return { module, llama, model };
    } catch (error) {
      await llama.dispose();
      throw new ValidationError(`cannot load GGUF model ${request.path}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

/** The process's models: every GGUF version opened without a cache of its own shares these. */
export const sharedGgufModelCache = new GgufModelCache();
