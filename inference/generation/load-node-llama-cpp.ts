import { ConfigError, errorMessage } from '../../core/errors.ts';

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
    systemPrompt?: string;
    autoDisposeSequence?: boolean;
  }) => LlamaChatSession;
};

export type Llama = {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>;
  dispose(): Promise<void>;
};

export type LlamaModel = {
  readonly trainContextSize: number;
  tokenize(text: string): readonly unknown[];
  createContext(options: {
    contextSize?: number;
    threads?: number;
    sequences?: number;
  }): Promise<LlamaContext>;
  dispose(): Promise<void>;
};

export type LlamaContext = {
  readonly contextSize: number;
  getSequence(): LlamaContextSequence;
  dispose(): Promise<void>;
};

export type LlamaContextSequence = {
  readonly tokenMeter: { readonly usedInputTokens: number; readonly usedOutputTokens: number };
};

export type ChatHistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: string[] };

export type LlamaChatSession = {
  readonly sequence: LlamaContextSequence;
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
      signal?: AbortSignal;
      stopOnAbortSignal?: boolean;
      onTextChunk?: (text: string) => void;
    },
  ): Promise<{ responseText: string; stopReason: string }>;
  dispose(): void;
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
