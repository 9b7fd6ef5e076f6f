import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { errorMessage, NotFoundError, ValidationError } from '../errors.ts';
import { fileSha256 } from '../hashing.ts';
import type { Logger } from '../logger.ts';
import type { FinishReason, GenerationRequest, GenerationSummary } from '../ports/generator.ts';
import type { AnswerScore, PromptBudget, ScoreRequest, ScoringModel } from '../ports/runnable-model.ts';
import { CopyBias, type CopyBiasWeights, defaultCopyBias } from './copy-bias.ts';
import { checkLoraAdapter } from './gguf/check-lora-adapter.ts';
import { chatAnswerTokens, splitConversation } from './gguf-chat-tokens.ts';
import { checkGgufHeader } from './gguf-header.ts';
import { type GgufModelCache, type GgufModelLease, sharedGgufModelCache } from './gguf-model-cache.ts';
import type {
  ChatHistoryItem,
  ChatWrapper,
  ControlledEvaluateInputItem,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  NodeLlamaCpp,
  Token,
  TokenBias,
} from './load-node-llama-cpp.ts';

/**
 * The files a GGUF model is made of, each checked against its registered hash at load (null: not
 * checked): a model file, and optionally a LoRA adapter applied on it (node-llama-cpp's context
 * `lora` option), with the registered base it was trained on (`base`, named in errors).
 */
export type GgufModelFiles = {
  path: string;
  sha256: string | null;
  adapter?: { path: string; sha256: string; base: string };
};

export type GgufGeneratorOptions = {
  id: string;
  /**
   * llama.cpp threads: by default one per core but one, which stays with Node's event loop (the
   * HTTP server, retrieval, the query embedder). llama.cpp's threads wait for each other by
   * spinning, so one that finds its core busy stalls them all: on 2 cores, 2 threads made
   * generation many times slower than 1 whenever anything else ran.
   */
  threads?: number;
  /**
   * Tokens of context (prompt + answer), 4,096 by default: room for several numbered passages.
   * Capped at what the model was trained with.
   */
  contextSize?: number;
  /** Use a GPU when llama.cpp finds one; off by default (the build machines have none). */
  gpu?: boolean;
  /**
   * How strongly answers lean toward a request's `sources` (see CopyBias); 1 and 4 logits by
   * default, 0 and 0 to sample from the model alone. Scoring is never biased.
   */
  copyBias?: CopyBiasWeights;
  logger?: Logger;
  /** Where loaded model files are shared; the process's own cache unless given. */
  models?: GgufModelCache;
};

const finishReasons: Record<string, FinishReason> = {
  eogToken: 'stop',
  stopGenerationTrigger: 'stop',
  customStopTrigger: 'stop',
  functionCalls: 'stop',
  maxTokens: 'length',
  abort: 'abort',
};

// Chat templates add a few marker tokens around each message.
const templateTokensPerMessage = 8;

// Answer tokens scored per controlledEvaluate call (see score).
const scoreSlice = 32;

// probabilities are float32: a token rarer than this reads as 0, whose log would be −∞.
const smallestProbability = 1e-45;

/**
 * A local GGUF file run by llama.cpp through node-llama-cpp (an optional dependency, imported on
 * first use), with a LoRA adapter on it when one is given. The file is loaded once per process
 * (GgufModelCache) and shared by every generator on it; each generator has its own context, with
 * its own adapter, and one sequence: requests (answers and scores) take turns, each from a cleared
 * sequence, which is what a 2-core machine can serve anyway. Answers go through a chat session
 * seeded with the conversation so far; scores evaluate the same rendered chat with
 * `controlledEvaluate` and read each answer token's probability.
 */
export class GgufGenerator implements ScoringModel {
  readonly id: string;
  readonly promptBudget: PromptBudget;
  readonly capabilities = { score: true, concurrency: 1 } as const;
  private readonly module: NodeLlamaCpp;
  private readonly model: LlamaModel;
  private readonly lease: GgufModelLease;
  private readonly context: LlamaContext;
  // One sequence for the generator's life: a disposed sequence frees its slot only later, so
  // taking a new one per request can find none left.
  private readonly sequence: LlamaContextSequence;
  private readonly chatWrapper: ChatWrapper;
  private readonly copyBias: CopyBiasWeights;
  private queue: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;

  private constructor(id: string, lease: GgufModelLease, context: LlamaContext, copyBias: CopyBiasWeights) {
    this.id = id;
    this.lease = lease;
    this.copyBias = copyBias;
    this.module = lease.module;
    this.model = lease.model;
    this.context = context;
    this.sequence = context.getSequence();
    this.chatWrapper = this.module.resolveChatWrapper(this.model);
    this.promptBudget = {
      // A quarter of the window stays free for the answer.
      maxPromptTokens: Math.floor((context.contextSize * 3) / 4),
      measure: (messages) =>
        messages.reduce(
          (sum, message) => sum + this.model.tokenize(message.content).length + templateTokensPerMessage,
          0,
        ),
    };
  }

  /**
   * Opens the file, and the adapter on it: a clear error when either is missing, corrupt or not as
   * registered, when the adapter does not fit the file (checked from their headers before anything
   * is loaded), or when node-llama-cpp is not installed. Nothing is left loaded after an error.
   */
  static async load(files: GgufModelFiles, options: GgufGeneratorOptions): Promise<GgufGenerator> {
    const file = resolve(files.path);
    const adapter = files.adapter;
    await checkFile(
      file,
      adapter
        ? `the file of base model ${adapter.base}, ${file}, does not exist: put it back (its LoRA adapter runs on those exact bytes)`
        : `GGUF model file ${file} does not exist: put the file back, or register the model again with \`twin models register --gguf <file>\``,
    );
    await checkGgufHeader(file);
    const adapterPath = adapter ? await checkAdapter(adapter, file) : undefined;
    const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
    const lease = await (options.models ?? sharedGgufModelCache).acquire({
      path: file,
      sha256: files.sha256,
      threads,
      gpu: options.gpu ?? false,
      ...(options.logger ? { logger: options.logger } : {}),
      mismatch: (actual) =>
        new ValidationError(
          adapter
            ? `the file of base model ${adapter.base}, ${file}, has sha256 ${actual}, but its LoRA adapter was trained on ${files.sha256}: refusing to serve the adapter on another base (put the original file back, or train the adapter again on this one)`
            : `GGUF model ${file} has sha256 ${actual}, the registry says ${files.sha256}: the file changed since it was registered`,
        ),
    });
    try {
      const create = () =>
        lease.model.createContext({
          contextSize: Math.min(options.contextSize ?? 4096, lease.model.trainContextSize),
          threads,
          sequences: 1,
          ...(adapterPath ? { lora: { adapters: [{ filePath: adapterPath, scale: 1 }] } } : {}),
        });
      const context =
        adapter && adapterPath ? await lease.useAdapter(adapterPath, adapter.sha256, create) : await create();
      return new GgufGenerator(options.id, lease, context, options.copyBias ?? defaultCopyBias);
    } catch (error) {
      await lease.release();
      if (error instanceof ValidationError) throw error;
      throw new ValidationError(
        adapterPath
          ? `cannot apply LoRA adapter ${adapterPath} to GGUF model ${file}: ${errorMessage(error)}`
          : `cannot create a context for GGUF model ${file}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  async *stream(request: GenerationRequest): AsyncGenerator<string, GenerationSummary> {
    const { system, history, prompt } = splitConversation(request.messages);
    const release = await this.turn();
    try {
      return yield* this.answer(request, system, history, prompt);
    } finally {
      release();
    }
  }

  /**
   * The chat is rendered by the model's chat template twice, with an empty and with the given
   * answer as the model's turn; the tokens after their common prefix, and the end-of-turn token,
   * are the answer's. An answer longer than the window is scored as far as it fits.
   */
  async score(request: ScoreRequest): Promise<AnswerScore> {
    const rendered = chatAnswerTokens(this.model, this.chatWrapper, request.messages, request.answer);
    const start = rendered.answerStart;
    const tokens = rendered.tokens.slice(0, this.context.contextSize);
    if (tokens.length <= start)
      throw new ValidationError(
        `GGUF model ${this.id} cannot score this answer: its prompt alone fills the ${this.context.contextSize}-token window`,
      );
    const release = await this.turn();
    try {
      request.signal?.throwIfAborted();
      await this.sequence.clearHistory();
      // The probabilities after token i are those of token i + 1: asked for from the last prompt
      // token on. Each comes as a map over the whole vocabulary (49,152 entries for SmolLM2), so
      // the answer is evaluated in slices and each map dropped once its one entry is read: whole,
      // a long answer's maps took gigabytes.
      await this.sequence.controlledEvaluate(tokens.slice(0, start - 1));
      const tokenLogProbabilities: number[] = [];
      for (let from = start - 1; from < tokens.length - 1; from += scoreSlice) {
        request.signal?.throwIfAborted();
        const slice = tokens.slice(from, Math.min(from + scoreSlice, tokens.length - 1));
        const results = await this.sequence.controlledEvaluate(
          slice.map(
            (token): ControlledEvaluateInputItem => [token, { generateNext: { probabilities: true } }],
          ),
        );
        slice.forEach((_, offset) => {
          const next = tokens[from + offset + 1] as Token;
          const probability = results[offset]?.next.probabilities?.get(next) ?? 0;
          tokenLogProbabilities.push(Math.log(Math.max(probability, smallestProbability)));
        });
      }
      return { tokenLogProbabilities };
    } finally {
      release();
    }
  }

  private async *answer(
    request: GenerationRequest,
    system: string,
    history: ChatHistoryItem[],
    prompt: string,
  ): AsyncGenerator<string, GenerationSummary> {
    // Stops llama.cpp when the caller aborts or stops reading.
    const stopping = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, stopping.signal]) : stopping.signal;
    // A cleared sequence: the prompt is evaluated whole, so its token count is the prompt's.
    await this.sequence.clearHistory();
    const usedBefore = this.sequence.tokenMeter.getState();
    const session = new this.module.LlamaChatSession({
      contextSequence: this.sequence,
      chatWrapper: this.chatWrapper,
      ...(system ? { systemPrompt: system } : {}),
      autoDisposeSequence: false,
    });
    try {
      if (history.length > 0)
        session.setChatHistory([...(system ? [{ type: 'system' as const, text: system }] : []), ...history]);
      const pieces: string[] = [];
      // The answer's tokens as they are sampled: what a copy continues (the sequence's own list
      // grows only after each token is evaluated, one behind the sampler).
      const answerTokens: Token[] = [];
      let wake: (() => void) | undefined;
      let settled = false;
      let outcome: { stopReason: string } | undefined;
      let failure: unknown;
      const generation = session
        .promptWithMeta(prompt, {
          maxTokens: request.maxTokens,
          temperature: request.temperature,
          ...(request.topK === undefined ? {} : { topK: request.topK }),
          ...(request.topP === undefined ? {} : { topP: request.topP }),
          ...(request.seed === undefined ? {} : { seed: request.seed }),
          ...(request.stop && request.stop.length > 0 ? { customStopTriggers: request.stop } : {}),
          signal,
          stopOnAbortSignal: true,
          // Small models fall into loops ("a feature view, which is a feature view, which…"): a
          // mild penalty on the answer's own last 64 tokens (never the prompt, so quoting a
          // passage is not punished) is llama.cpp's usual remedy.
          repeatPenalty: { penalty: 1.1, lastTokens: 64, penalizeNewLine: false },
          ...this.sourceBias(request.sources, answerTokens),
          onToken: (tokens) => {
            answerTokens.push(...tokens);
          },
          onTextChunk: (text) => {
            if (!text) return;
            pieces.push(text);
            wake?.();
          },
        })
        .then(
          (result) => {
            outcome = result;
          },
          (error: unknown) => {
            failure = error;
          },
        )
        .finally(() => {
          settled = true;
          wake?.();
        });
      try {
        for (;;) {
          while (pieces.length > 0) yield pieces.shift() as string;
          if (settled) break;
          await new Promise<void>((resume) => {
            wake = resume;
          });
        }
      } finally {
        stopping.abort();
        await generation;
      }
      if (failure !== undefined && !request.signal?.aborted)
        throw new ValidationError(`GGUF model ${this.id} failed: ${errorMessage(failure)}`, {
          cause: failure,
        });
      const used = this.sequence.tokenMeter.diff(usedBefore);
      return {
        finishReason: request.signal?.aborted
          ? 'abort'
          : (finishReasons[outcome?.stopReason ?? ''] ?? 'stop'),
        promptTokens: used.usedInputTokens,
        completionTokens: used.usedOutputTokens,
      };
    } finally {
      session.dispose({ disposeSequence: false });
    }
  }

  /** The copy bias toward `sources`, asked afresh before each token; nothing without sources. */
  private sourceBias(
    sources: readonly string[] | undefined,
    answerTokens: readonly Token[],
  ): { tokenBias?: () => TokenBias } {
    if (!sources || sources.length === 0) return {};
    const control = new Set([this.model.tokens.eos, this.model.tokens.eot].filter((token) => token !== null));
    const bias = new CopyBias(
      sources.map((source) => this.model.tokenize(source)),
      this.copyBias,
      control as Set<Token>,
    );
    if (!bias.active) return {};
    // TokenBias.set costs about a microsecond per token (it re-tokenises its input), so the
    // several hundred source tokens are set once, and each step copies that and adds only the
    // few continuations: building it afresh every step cost 2–3% of the generation time.
    const sourceTokens = new this.module.TokenBias(this.model.tokenizer);
    for (const [token, logit] of bias.tokenBias()) sourceTokens.set(token, { logit });
    return {
      tokenBias: () => {
        const continuations = bias.continuationsAfter(answerTokens);
        if (continuations.length === 0) return sourceTokens;
        const step = copyTokenBias(this.module, this.model, sourceTokens, bias);
        for (const token of continuations) step.set(token, { logit: bias.continuationLogit });
        return step;
      },
    };
  }

  /** Waits for the requests in progress, then frees llama.cpp; closing again does nothing. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.queue;
      this.sequence.dispose();
      await this.context.dispose();
      await this.lease.release();
    })();
    return this.closed;
  }

  /** Waits for the requests before this one; returns the function that lets the next one go. */
  private async turn(): Promise<() => void> {
    let release: () => void = () => {};
    const previous = this.queue;
    this.queue = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  }
}

/** Refuses a path that is missing (with `missing` as the message) or not a file. */
async function checkFile(path: string, missing: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotFoundError(missing, { cause: error });
    throw error;
  });
  if (!info.isFile()) throw new ValidationError(`${path} is not a file`);
}

/**
 * Checks a LoRA adapter before anything is loaded: its file is there, hashes as registered, and
 * fits the base file as llama.cpp will require (checkLoraAdapter). Returns its absolute path.
 */
async function checkAdapter(adapter: NonNullable<GgufModelFiles['adapter']>, base: string): Promise<string> {
  const path = resolve(adapter.path);
  await checkFile(
    path,
    `LoRA adapter file ${path} does not exist: put the file back, or register the adapter again with \`twin models register NAME --gguf-adapter <file> --base ${adapter.base}\``,
  );
  const actual = await fileSha256(path);
  if (actual !== adapter.sha256)
    throw new ValidationError(
      `LoRA adapter ${path} has sha256 ${actual}, the registry says ${adapter.sha256}: the file changed since it was registered`,
    );
  await checkLoraAdapter(path, base, { base: `${adapter.base} (${base})` });
  return path;
}

/**
 * A copy of `original`. node-llama-cpp 3.x keeps a TokenBias's entries in a `_biases` map, which
 * is copied directly; should a later version keep them otherwise, the copy is rebuilt from `bias`
 * through the public API, slower but the same.
 */
function copyTokenBias(
  module: NodeLlamaCpp,
  model: LlamaModel,
  original: TokenBias,
  bias: CopyBias,
): TokenBias {
  const copy = new module.TokenBias(model.tokenizer);
  const entries = (original as unknown as { _biases?: unknown })._biases;
  if (entries instanceof Map) {
    (copy as unknown as { _biases: Map<Token, number> })._biases = new Map(entries as Map<Token, number>);
    return copy;
  }
  for (const [token, logit] of bias.tokenBias()) copy.set(token, { logit });
  return copy;
}
