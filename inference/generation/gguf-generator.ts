import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorMessage, NotFoundError, ValidationError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ChatMessage, FinishReason, GenerationSummary } from '../../core/ports/generator.ts';
import { checkGgufHeader } from './gguf-header.ts';
import {
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaModel,
  loadNodeLlamaCpp,
  type NodeLlamaCpp,
} from './load-node-llama-cpp.ts';
import type { GroundedGenerationRequest, PromptBudget, TwinGenerator } from './twin-generator.ts';

export type GgufGeneratorOptions = {
  id: string;
  /** The registered hash; the file is checked against it once, at load. */
  sha256?: string | null;
  /** llama.cpp threads: 1 by default, the right number on the 2-core machines this runs on. */
  threads?: number;
  /** Tokens of context (prompt + answer); capped at what the model was trained with. */
  contextSize?: number;
  /** Use a GPU when llama.cpp finds one; off by default (the build machines have none). */
  gpu?: boolean;
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

/**
 * A local GGUF file run by llama.cpp through node-llama-cpp (an optional dependency, imported on
 * first use). One context with one sequence: requests take turns, each in a fresh chat session
 * seeded with the conversation so far, which is what a 2-core machine can serve anyway.
 */
export class GgufGenerator implements TwinGenerator {
  readonly id: string;
  readonly promptBudget: PromptBudget;
  private readonly module: NodeLlamaCpp;
  private readonly llama: Llama;
  private readonly model: LlamaModel;
  private readonly context: LlamaContext;
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    id: string,
    module: NodeLlamaCpp,
    llama: Llama,
    model: LlamaModel,
    context: LlamaContext,
  ) {
    this.id = id;
    this.module = module;
    this.llama = llama;
    this.model = model;
    this.context = context;
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
  static async load(path: string, options: GgufGeneratorOptions): Promise<GgufGenerator> {
    const file = resolve(path);
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
    if (options.sha256) {
      const actual = await sha256File(file);
      if (actual !== options.sha256)
        throw new ValidationError(
          `GGUF model ${file} has sha256 ${actual}, the registry says ${options.sha256}: the file changed since it was registered`,
        );
    }
    const module = await loadNodeLlamaCpp();
    const threads = options.threads ?? 1;
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
      return new GgufGenerator(options.id, module, llama, model, context);
    } catch (error) {
      await model.dispose();
      await llama.dispose();
      throw new ValidationError(`cannot create a context for GGUF model ${file}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  async *stream(request: GroundedGenerationRequest): AsyncGenerator<string, GenerationSummary> {
    const { system, history, prompt } = splitConversation(request.messages);
    const release = await this.turn();
    try {
      return yield* this.answer(request, system, history, prompt);
    } finally {
      release();
    }
  }

  private async *answer(
    request: GroundedGenerationRequest,
    system: string,
    history: ChatHistoryItem[],
    prompt: string,
  ): AsyncGenerator<string, GenerationSummary> {
    // Stops llama.cpp when the caller aborts or stops reading.
    const stopping = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, stopping.signal]) : stopping.signal;
    const session = new this.module.LlamaChatSession({
      contextSequence: this.context.getSequence(),
      ...(system ? { systemPrompt: system } : {}),
      autoDisposeSequence: true,
    });
    try {
      if (history.length > 0)
        session.setChatHistory([...(system ? [{ type: 'system' as const, text: system }] : []), ...history]);
      const pieces: string[] = [];
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
      const meter = session.sequence.tokenMeter;
      return {
        finishReason: request.signal?.aborted
          ? 'abort'
          : (finishReasons[outcome?.stopReason ?? ''] ?? 'stop'),
        promptTokens: meter.usedInputTokens,
        completionTokens: meter.usedOutputTokens,
      };
    } finally {
      session.dispose();
    }
  }

  async close(): Promise<void> {
    await this.queue;
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
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

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
