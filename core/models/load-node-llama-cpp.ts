import { ConfigError, errorMessage } from '../errors.ts';

/**
 * The part of node-llama-cpp 3.x this project uses, declared here so that the project type-checks
 * and runs without the package (it is an optional dependency: large native binaries).
 */
export type NodeLlamaCpp = {
  getLlama(options: {
    gpu?: false | 'auto';
    build?: 'never';
    skipDownload?: boolean;
    maxThreads?: number;
    progressLogs?: boolean;
    logLevel?: 'error' | 'warn';
    logger?: (level: string, message: string) => void;
  }): Promise<Llama>;
  LlamaChatSession: new (options: {
    contextSequence: LlamaContextSequence;
    chatWrapper?: ChatWrapper;
    systemPrompt?: string;
    autoDisposeSequence?: boolean;
  }) => LlamaChatSession;
  /** The chat template a model's own metadata asks for (what a chat session picks by itself). */
  resolveChatWrapper(model: LlamaModel): ChatWrapper;
  /** Logit biases for sampling, by token. */
  TokenBias: new (
    tokenizer: Tokenizer,
  ) => TokenBias;
};

export type TokenBias = { set(token: Token, bias: { logit: number }): TokenBias };

export type Llama = {
  loadModel(options: { modelPath: string; vocabOnly?: boolean }): Promise<LlamaModel>;
  dispose(): Promise<void>;
};

/** A token id of the model's vocabulary. */
export type Token = number;

export type LlamaModel = {
  readonly trainContextSize: number;
  readonly tokenizer: Tokenizer;
  /** The model's special tokens; null where its vocabulary has none. */
  readonly tokens: { readonly eos: Token | null; readonly eot: Token | null };
  tokenize(text: string): readonly Token[];
  createContext(options: {
    contextSize?: number;
    threads?: number;
    sequences?: number;
  }): Promise<LlamaContext>;
  dispose(): Promise<void>;
};

/** The model's own tokenizer (a function in node-llama-cpp). */
export type Tokenizer = (text: string, specialTokens?: boolean) => Token[];

export type LlamaContext = {
  readonly contextSize: number;
  getSequence(): LlamaContextSequence;
  dispose(): Promise<void>;
};

export type TokenMeterState = { readonly usedInputTokens: number; readonly usedOutputTokens: number };

/** One input token, optionally asking for the probabilities of the token after it. */
export type ControlledEvaluateInputItem = Token | [Token, { generateNext: { probabilities: true } }];

export type LlamaContextSequence = {
  readonly tokenMeter: {
    getState(): TokenMeterState;
    diff(state: TokenMeterState): TokenMeterState;
  };
  clearHistory(): Promise<void>;
  /** Evaluates the tokens; for each item that asked, the probability of every possible next token. */
  controlledEvaluate(
    input: ControlledEvaluateInputItem[],
  ): Promise<Array<undefined | { next: { probabilities?: Map<Token, number> } }>>;
  dispose(): void;
};

export type ChatHistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: string[] };

export type ChatWrapper = {
  /** The chat rendered as the model reads it, special tokens included. */
  generateContextState(options: { chatHistory: readonly ChatHistoryItem[] }): {
    contextText: { tokenize(tokenizer: Tokenizer): Token[] };
  };
};

export type LlamaChatSession = {
  setChatHistory(history: ChatHistoryItem[]): void;
  promptWithMeta(
    prompt: string,
    options: {
      maxTokens?: number;
      temperature?: number;
      topK?: number;
      topP?: number;
      seed?: number;
      customStopTriggers?: string[];
      repeatPenalty?: { penalty?: number; lastTokens?: number; penalizeNewLine?: boolean };
      /** A function is asked again before every token is sampled. */
      tokenBias?: TokenBias | (() => TokenBias);
      signal?: AbortSignal;
      stopOnAbortSignal?: boolean;
      onTextChunk?: (text: string) => void;
      onToken?: (tokens: Token[]) => void;
    },
  ): Promise<{ responseText: string; stopReason: string }>;
  dispose(options: { disposeSequence: boolean }): void;
};

const packageName = 'node-llama-cpp';
export const nodeLlamaCppVersion = '3.21.1';

/** Imports node-llama-cpp on first use, or says how to install it. */
export async function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  try {
    // A variable specifier: bundlers and the type checker must not require the optional package.
    const specifier: string = packageName;
    return (await import(specifier)) as NodeLlamaCpp;
  } catch (error) {
    throw new ConfigError(
      [
        `GGUF models need the optional package ${packageName}, which cannot be loaded (${errorMessage(error)}): ` +
          `install it with \`npm install ${packageName}@${nodeLlamaCppVersion}\` (prebuilt llama.cpp binaries, no compiler needed), ` +
          'or serve the file with llama.cpp’s server and register that as an OpenAI-compatible endpoint',
      ],
      { cause: error },
    );
  }
}
