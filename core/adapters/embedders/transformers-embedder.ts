import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  AutoModel,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { z } from 'zod';
import { Semaphore } from '../../concurrency/semaphore.ts';
import { ConfigError, errorMessage, ServiceError, ValidationError } from '../../errors.ts';
import { fileSha256 } from '../../hashing.ts';
import type { Embedder } from '../../ports/embedder.ts';
import { assertEmbeddable } from './assert-embeddable.ts';
import { splitIntoBatches } from './split-into-batches.ts';
import { toUnitVector } from './to-unit-vector.ts';

export interface TransformersEmbedderOptions {
  /** Folder with config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx. */
  modelPath: string;
  pooling: 'mean' | 'cls';
  /** Must be true: the Embedder port promises unit-length vectors. */
  normalize: boolean;
  /** Load onnx/model_quantized.onnx instead of onnx/model.onnx. */
  quantized: boolean;
  maxBatchSize: number;
  /** ONNX Runtime intra-op threads; the pool gives each worker 1 so workers do not fight for cores. */
  threads?: number;
}

/** The few config.json fields we read; everything else belongs to transformers.js. */
const ModelConfigFile = z.object({
  model_type: z.string().min(1),
  max_position_embeddings: z.number().int().positive().optional(),
});

/** What one loaded model needs to embed a batch. */
interface LoadedModel {
  model: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
  pooling: 'mean' | 'cls';
  maxLength: number | undefined;
}

/**
 * Any ONNX feature-extraction model exported for transformers.js (MiniLM, BGE, E5...), loaded from a
 * local folder only: remote loading is switched off, so a missing file is an error here rather than
 * a download attempt. Pooling is done here, in float64, over the model's last_hidden_state.
 */
export class TransformersEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  private loaded: LoadedModel | undefined;
  // One batch at a time: ONNX Runtime sessions are not promised to be re-entrant, and it keeps memory flat.
  private readonly queue = new Semaphore(1);

  private constructor(id: string, dimensions: number, maxBatchSize: number, loaded: LoadedModel) {
    this.id = id;
    this.dimensions = dimensions;
    this.maxBatchSize = maxBatchSize;
    this.loaded = loaded;
  }

  static async create(options: TransformersEmbedderOptions): Promise<TransformersEmbedder> {
    if (!options.normalize) {
      throw new ConfigError([
        'embedder.normalize: false is not supported: the Embedder port promises unit-length vectors (stores compare by dot product)',
      ]);
    }
    const folder = resolve(options.modelPath);
    const onnxFile = join('onnx', options.quantized ? 'model_quantized.onnx' : 'model.onnx');
    await assertModelFolder(folder, ['config.json', 'tokenizer.json', 'tokenizer_config.json', onnxFile]);
    const config = await readModelConfig(folder);

    // Global switches of transformers.js: never download, never write a cache (its default cache
    // lives inside node_modules). An absolute path is not a Hub id, so it is read from disk as is.
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.useFSCache = false;
    env.useBrowserCache = false;

    let loaded: LoadedModel;
    try {
      const tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
      const model = await AutoModel.from_pretrained(folder, {
        local_files_only: true,
        device: 'cpu',
        dtype: options.quantized ? 'q8' : 'fp32',
        ...(options.threads
          ? { session_options: { intraOpNumThreads: options.threads, interOpNumThreads: 1 } }
          : {}),
      });
      const maxLength = tokenLimit(tokenizer.model_max_length, config.max_position_embeddings);
      loaded = { model, tokenizer, pooling: options.pooling, maxLength };
    } catch (error) {
      const problem = `embedder.modelPath: could not load the model in ${folder}: ${errorMessage(error)}`;
      throw new ConfigError([problem], { cause: error });
    }

    // The model, not config.json, says what it outputs (some add a projection after the encoder).
    const [probe] = await embedBatch(loaded, ['dimension probe']);
    if (!probe) throw new ServiceError(`model in ${folder} returned no vector for a probe text`);
    const files = [onnxFile, 'tokenizer.json', 'tokenizer_config.json'].map((file) => join(folder, file));
    const fingerprint = (await hashFiles(files)).slice(0, 12);
    const id = `transformers:${basename(folder)}@${fingerprint}:${options.pooling}`;
    return new TransformersEmbedder(id, probe.length, options.maxBatchSize, loaded);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    assertEmbeddable(texts);
    const vectors: Float32Array[] = [];
    for (const batch of splitIntoBatches(texts, this.maxBatchSize)) {
      vectors.push(
        ...(await this.queue.run(() => {
          if (!this.loaded) throw new ValidationError('TransformersEmbedder is closed');
          return embedBatch(this.loaded, batch);
        })),
      );
    }
    return vectors;
  }

  async close(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    await this.queue.drain();
    await loaded?.model.dispose();
  }
}

async function embedBatch(loaded: LoadedModel, batch: string[]): Promise<Float32Array[]> {
  const inputs = loaded.tokenizer(batch, {
    padding: true,
    truncation: true,
    ...(loaded.maxLength ? { max_length: loaded.maxLength } : {}),
  });
  const outputs: unknown = await loaded.model(inputs);
  const hidden = lastHiddenState(outputs);
  const [rows, tokens, width] = hidden.dims;
  if (rows !== batch.length || tokens === undefined || width === undefined) {
    throw new ServiceError(
      `model returned last_hidden_state of shape [${hidden.dims.join(', ')}] for ${batch.length} texts`,
    );
  }
  const values = hidden.data;
  const mask = inputs.attention_mask.data;
  if (!(values instanceof Float32Array))
    throw new ServiceError('model returned a non-float32 last_hidden_state');
  return batch.map((_, row) => {
    const pooled = new Float64Array(width);
    if (loaded.pooling === 'cls') {
      for (let column = 0; column < width; column++)
        pooled[column] = values[row * tokens * width + column] ?? 0;
    } else {
      let count = 0;
      for (let token = 0; token < tokens; token++) {
        if (Number(mask[row * tokens + token] ?? 0) === 0) continue;
        count++;
        const offset = (row * tokens + token) * width;
        for (let column = 0; column < width; column++) {
          pooled[column] = (pooled[column] ?? 0) + (values[offset + column] ?? 0);
        }
      }
      for (let column = 0; column < width; column++)
        pooled[column] = (pooled[column] ?? 0) / Math.max(count, 1);
    }
    return toUnitVector(pooled);
  });
}

function lastHiddenState(outputs: unknown): Tensor {
  if (outputs && typeof outputs === 'object') {
    for (const name of ['last_hidden_state', 'token_embeddings']) {
      const tensor: unknown = Reflect.get(outputs, name);
      if (tensor instanceof Tensor && tensor.dims.length === 3) return tensor;
    }
  }
  throw new ServiceError('model has no last_hidden_state output of shape [batch, tokens, hidden]');
}

/** Tokens the model can take: the tokenizer's limit, capped by the position table when known. */
function tokenLimit(modelMaxLength: unknown, positions: number | undefined): number | undefined {
  // Tokenizers without a limit report a huge sentinel (1e30).
  const fromTokenizer =
    typeof modelMaxLength === 'number' && Number.isInteger(modelMaxLength) && modelMaxLength < 1_000_000
      ? modelMaxLength
      : undefined;
  if (fromTokenizer && positions) return Math.min(fromTokenizer, positions);
  return fromTokenizer ?? positions;
}

async function assertModelFolder(folder: string, files: string[]): Promise<void> {
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory()) {
    throw new ConfigError([
      `embedder.modelPath: ${folder} is not a folder (expected ${files.join(', ')} inside; models are never downloaded)`,
    ]);
  }
  const missing: string[] = [];
  for (const file of files) {
    const fileStat = await stat(join(folder, file)).catch(() => undefined);
    if (!fileStat?.isFile()) missing.push(file);
  }
  if (missing.length > 0) {
    throw new ConfigError(missing.map((file) => `embedder.modelPath: ${folder} is missing ${file}`));
  }
}

async function readModelConfig(folder: string): Promise<z.infer<typeof ModelConfigFile>> {
  const path = join(folder, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`embedder.modelPath: ${path} is not valid JSON: ${errorMessage(error)}`], {
      cause: error,
    });
  }
  const parsed = ModelConfigFile.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) => `embedder.modelPath: ${path}: ${issue.path.join('.')} ${issue.message}`,
      ),
    );
  }
  return parsed.data;
}

/** One digest over the weights and the tokenizer: changing either changes every vector. */
async function hashFiles(paths: string[]): Promise<string> {
  const combined = createHash('sha256');
  for (const path of paths) {
    combined.update(`${basename(path)}:${await fileSha256(path)}\n`);
  }
  return combined.digest('hex');
}
