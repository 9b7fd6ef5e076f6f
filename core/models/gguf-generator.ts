import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { errorMessage, NotFoundError, ValidationError } from '../errors.ts';
import { fileSha256 } from '../hashing.ts';
import type { Logger } from '../logger.ts';
import type { ChatMessage, FinishReason, GenerationRequest, GenerationSummary } from '../ports/generator.ts';
import type { AnswerScore, PromptBudget, ScoreRequest, ScoringModel } from '../ports/runnable-model.ts';
import { CopyBias, type CopyBiasWeights, defaultCopyBias } from './copy-bias.ts';
import { checkGgufHeader } from './gguf-header.ts';
import {
  type ChatHistoryItem,
  type ChatWrapper,
  type ControlledEvaluateInputItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  loadNodeLlamaCpp,
  type NodeLlamaCpp,
  type Token,
  type TokenBias,
} from './load-node-llama-cpp.ts';

/**
 * The files a GGUF model is made of, each checked against its registered hash at load (null: not
 * checked). LoRA adapters served on top of a base file (node-llama-cpp's context `lora` option)
 * will join here as a list beside `path`, so the model's callers do not change.
 */
export type GgufModelFiles = { path: string; sha256: string | null };

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
 * first use). One context with one sequence: requests (answers and scores) take turns, each from a
 * cleared sequence, which is what a 2-core machine can serve anyway. Answers go through a chat
 * session seeded with the conversation so far; scores evaluate the same rendered chat with
 * `controlledEvaluate` and read each answer token's probability.
 */
export class GgufGenerator implements ScoringModel {
  readonly id: string;
  readonly promptBudget: PromptBudget;
  readonly capabilities = { score: true, concurrency: 1 } as const;
  private readonly module: NodeLlamaCpp;
  private readonly llama: Llama;
  private readonly model: LlamaModel;
  private readonly context: LlamaContext;
  // One sequence for the generator's life: a disposed sequence frees its slot only later, so
  // taking a new one per request can find none left.
  private readonly sequence: LlamaContextSequence;
  private readonly chatWrapper: ChatWrapper;
  private readonly copyBias: CopyBiasWeights;
  private queue: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;

  private constructor(
    id: string,
    module: NodeLlamaCpp,
    llama: Llama,
    model: LlamaModel,
    context: LlamaContext,
    copyBias: CopyBiasWeights,
  ) {
    this.id = id;
    this.copyBias = copyBias;
    this.module = module;
    this.llama = llama;
    this.model = model;
    this.context = context;
    this.sequence = context.getSequence();
    this.chatWrapper = module.resolveChatWrapper(model);
    this.promptBudget = {
      // A quarter of the window stays free for the answer.
      maxPromptTokens: Math.floor((context.contextSize * 3) / 4),
      measure: (messages) =>
        messages.reduce(
          (sum, message) => sum + model.tokenize(message.content).length + templateTokensPerMessage,
          0,
        ),
    };
  }

  /** Opens the file: a clear error when it is missing, corrupt, or node-llama-cpp is not installed. */
  static async load(files: GgufModelFiles, options: GgufGeneratorOptions): Promise<GgufGenerator> {
    const file = resolve(files.path);
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT')
        throw new NotFoundError(
          `GGUF model file ${file} does not exist: put the file back, or register the model again with \`twin models register --gguf <file>\``,
          { cause: error },
        );
      throw error;
    });
    if (!info.isFile()) throw new ValidationError(`GGUF model ${file} is not a file`);
    await checkGgufHeader(file);
    if (files.sha256) {
      const actual = await fileSha256(file);
      if (actual !== files.sha256)
        throw new ValidationError(
          `GGUF model ${file} has sha256 ${actual}, the registry says ${files.sha256}: the file changed since it was registered`,
        );
    }
    const module = await loadNodeLlamaCpp();
    const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
    const logger = options.logger;
    const llama = await module.getLlama({
      gpu: options.gpu ? 'auto' : false,
      // Never compile or download at run time: the machines are offline.
      build: 'never',
      skipDownload: true,
      maxThreads: threads,
      progressLogs: false,
      logLevel: 'error',
      ...(logger
        ? { logger: (level: string, message: string) => logger.debug(message.trim(), { llama: level }) }
        : {}),
    });
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: file });
    } catch (error) {
      await llama.dispose();
      throw new ValidationError(`cannot load GGUF model ${file}: ${errorMessage(error)}`, { cause: error });
    }
    try {
      const context = await model.createContext({
        contextSize: Math.min(options.contextSize ?? 4096, model.trainContextSize),
        threads,
        sequences: 1,
      });
      return new GgufGenerator(
        options.id,
        module,
        llama,
        model,
        context,
        options.copyBias ?? defaultCopyBias,
      );
    } catch (error) {
      await model.dispose();
      await llama.dispose();
      throw new ValidationError(`cannot create a context for GGUF model ${file}: ${errorMessage(error)}`, {
        cause: error,
      });
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
    const { system, history, prompt } = splitConversation(request.messages);
    const chat: ChatHistoryItem[] = [
      ...(system ? [{ type: 'system' as const, text: system }] : []),
      ...history,
      { type: 'user', text: prompt },
    ];
    const asked = this.render([...chat, { type: 'model', response: [] }]);
    const answered = this.render([...chat, { type: 'model', response: [request.answer] }]);
    const start = commonPrefixLength(asked, answered);
    const end = this.model.tokens.eot ?? this.model.tokens.eos;
    const tokens = [...answered, ...(end === null ? [] : [end])].slice(0, this.context.contextSize);
    if (start === 0 || tokens.length <= start)
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

  private render(chatHistory: ChatHistoryItem[]): Token[] {
    return this.chatWrapper.generateContextState({ chatHistory }).contextText.tokenize(this.model.tokenizer);
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
    return {
      tokenBias: () => {
        const tokenBias = new this.module.TokenBias(this.model.tokenizer);
        for (const [token, logit] of bias.biasAfter(answerTokens)) tokenBias.set(token, { logit });
        return tokenBias;
      },
    };
  }

  /** Waits for the requests in progress, then frees llama.cpp; closing again does nothing. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.queue;
      this.sequence.dispose();
      await this.context.dispose();
      await this.model.dispose();
      await this.llama.dispose();
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

/** System prompt, earlier turns and the final user message, as a chat session takes them. */
function splitConversation(messages: readonly ChatMessage[]): {
  system: string;
  history: ChatHistoryItem[];
  prompt: string;
} {
  const last = messages[messages.length - 1];
  if (last?.role !== 'user')
    throw new ValidationError(
      'a GGUF chat model answers a user message, and the conversation does not end with one',
    );
  const system = messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n\n');
  const history = messages.slice(0, -1).flatMap((message): ChatHistoryItem[] => {
    if (message.role === 'user') return [{ type: 'user', text: message.content }];
    if (message.role === 'assistant') return [{ type: 'model', response: [message.content] }];
    return [];
  });
  return { system, history, prompt: last.content };
}

function commonPrefixLength(first: readonly Token[], second: readonly Token[]): number {
  let length = 0;
  while (length < first.length && length < second.length && first[length] === second[length]) length++;
  return length;
}
