import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import { Semaphore } from '../../core/concurrency/semaphore.ts';
import { ConfigError, errorMessage, ServiceError, ValidationError } from '../../core/errors.ts';
import type { Reranker, RerankRequest } from './rerank.ts';

export type CrossEncoderRerankerOptions = {
  /** Folder with config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx (never downloaded). */
  modelPath: string;
  /** Load onnx/model_quantized.onnx instead of onnx/model.onnx. */
  quantized?: boolean;
  /** Query–passage pairs per forward pass. */
  maxBatchSize?: number;
  /** ONNX Runtime intra-op threads. */
  threads?: number;
};

type Loaded = {
  model: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
  logitsOf: (outputs: unknown) => Tensor;
};

/**
 * A cross-encoder (an ms-marco MiniLM / BGE reranker exported for transformers.js): reads query and
 * passage as one pair and outputs a relevance logit of shape [batch, 1]. Loaded from a local folder
 * only; transformers.js is imported on first use, because loading it and onnxruntime costs most of
 * a second that deployments without a cross-encoder should not pay.
 */
export class CrossEncoderReranker implements Reranker {
  readonly id: string;
  private loaded: Loaded | undefined;
  // One batch at a time: ONNX Runtime sessions are not promised to be re-entrant, and it keeps memory flat.
  private readonly queue = new Semaphore(1);

  private constructor(
    id: string,
    loaded: Loaded,
    private readonly maxBatchSize: number,
  ) {
    this.id = id;
    this.loaded = loaded;
  }

  static async create(options: CrossEncoderRerankerOptions): Promise<CrossEncoderReranker> {
    const folder = resolve(options.modelPath);
    const onnxFile = join('onnx', options.quantized ? 'model_quantized.onnx' : 'model.onnx');
    await assertModelFolder(folder, ['config.json', 'tokenizer.json', 'tokenizer_config.json', onnxFile]);
    const { AutoModelForSequenceClassification, AutoTokenizer, env, Tensor } = await import(
      '@huggingface/transformers'
    );
    // Never download, never write a cache (transformers.js's default cache is inside node_modules).
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.useFSCache = false;
    env.useBrowserCache = false;
    try {
      const tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
      const model = await AutoModelForSequenceClassification.from_pretrained(folder, {
        local_files_only: true,
        device: 'cpu',
        dtype: options.quantized ? 'q8' : 'fp32',
        ...(options.threads
          ? { session_options: { intraOpNumThreads: options.threads, interOpNumThreads: 1 } }
          : {}),
      });
      const logitsOf = (outputs: unknown): Tensor => {
        const logits: unknown =
          outputs && typeof outputs === 'object' ? Reflect.get(outputs, 'logits') : undefined;
        if (!(logits instanceof Tensor))
          throw new ServiceError(`cross-encoder in ${folder} has no logits output`);
        return logits;
      };
      return new CrossEncoderReranker(
        `cross-encoder:${basename(folder)}${options.quantized ? ':q8' : ''}`,
        { model, tokenizer, logitsOf },
        options.maxBatchSize ?? 16,
      );
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      throw new ConfigError(
        [`reranker.modelPath: could not load the model in ${folder}: ${errorMessage(error)}`],
        {
          cause: error,
        },
      );
    }
  }

  async score(request: RerankRequest): Promise<number[]> {
    const texts = request.passages.map((passage) => passage.text);
    const scores: number[] = [];
    for (let start = 0; start < texts.length; start += this.maxBatchSize) {
      const batch = texts.slice(start, start + this.maxBatchSize);
      scores.push(
        ...(await this.queue.run(() => {
          if (!this.loaded) throw new ValidationError('CrossEncoderReranker is closed');
          return scoreBatch(this.loaded, request.query, batch);
        })),
      );
    }
    return scores;
  }

  async close(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    await this.queue.drain();
    await loaded?.model.dispose();
  }
}

async function scoreBatch(loaded: Loaded, query: string, passages: string[]): Promise<number[]> {
  const inputs = loaded.tokenizer(
    passages.map(() => query),
    { text_pair: passages, padding: true, truncation: true },
  );
  const logits = loaded.logitsOf(await loaded.model(inputs));
  const [rows, labels] = logits.dims;
  if (rows !== passages.length || (labels !== undefined && labels !== 1) || logits.dims.length > 2) {
    throw new ServiceError(
      `cross-encoder returned logits of shape [${logits.dims.join(', ')}] for ${passages.length} pairs; ` +
        'a reranker outputs one relevance logit per pair ([batch, 1])',
    );
  }
  return Array.from(logits.data as Float32Array, Number);
}

async function assertModelFolder(folder: string, files: string[]): Promise<void> {
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory()) {
    throw new ConfigError([
      `reranker.modelPath: ${folder} is not a folder (expected ${files.join(', ')} inside; models are never downloaded)`,
    ]);
  }
  const missing: string[] = [];
  for (const file of files) {
    const fileStat = await stat(join(folder, file)).catch(() => undefined);
    if (!fileStat?.isFile()) missing.push(file);
  }
  if (missing.length > 0) {
    throw new ConfigError(missing.map((file) => `reranker.modelPath: ${folder} is missing ${file}`));
  }
}
