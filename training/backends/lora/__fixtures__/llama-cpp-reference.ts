import { type ChatAnswerTokens, chatAnswerTokens } from '../../../../core/models/gguf-chat-tokens.ts';
import {
  type ControlledEvaluateInputItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  loadNodeLlamaCpp,
  type NodeLlamaCpp,
  type Token,
} from '../../../../core/models/load-node-llama-cpp.ts';
import type { ChatMessage } from '../../../../core/ports/generator.ts';

export type LlamaCppReferenceOptions = {
  /** Type of llama.cpp's key/value cache: its default F16 rounds keys and values; F32 does not. */
  kvCache: 'F16' | 'F32';
  /** A LoRA adapter GGUF to apply at scale 1. */
  loraPath?: string;
  contextSize?: number;
};

/**
 * llama.cpp (through node-llama-cpp, one thread) as the reference for parity tests: the next-token
 * distribution it computes after every position of a token sequence. With node-llama-cpp's
 * default sampling options (temperature 0, a greedy sampler), `controlledEvaluate` returns the
 * softmax of the raw logits over the whole vocabulary, unscaled and untruncated (AddonContext.cpp
 * SampleToken; the top-k and top-p samplers are only in the chain when temperature > 0).
 */
export class LlamaCppReference {
  private constructor(
    private readonly module: NodeLlamaCpp,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
  ) {}

  static async open(path: string, options: LlamaCppReferenceOptions): Promise<LlamaCppReference> {
    const module = await loadNodeLlamaCpp();
    const llama = await module.getLlama({
      gpu: false,
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      logLevel: 'error',
    });
    const model = await llama.loadModel({ modelPath: path });
    // Options this project's narrow node-llama-cpp type does not declare, passed as 3.21.1 takes
    // them: flash attention off (its own accumulation order) and the cache type under test.
    const contextOptions = {
      contextSize: options.contextSize ?? 512,
      threads: 1,
      sequences: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: options.kvCache,
      experimentalKvCacheValueType: options.kvCache,
      ...(options.loraPath ? { lora: { adapters: [{ filePath: options.loraPath }] } } : {}),
    };
    const context = await model.createContext(contextOptions);
    return new LlamaCppReference(module, llama, model, context, context.getSequence());
  }

  /** A chat and its answer as the model's own template and tokenizer render them for scoring and training. */
  chatAnswerTokens(messages: readonly ChatMessage[], answer: string): ChatAnswerTokens {
    return chatAnswerTokens(this.model, this.module.resolveChatWrapper(this.model), messages, answer);
  }

  /**
   * Evaluates `tokens` from position 0 and calls `visit` with each position's next-token
   * probabilities, a slice at a time: a whole-vocabulary map per position takes megabytes.
   */
  async visitDistributions(
    tokens: readonly Token[],
    visit: (position: number, probabilities: ReadonlyMap<Token, number>) => void,
    slice = 16,
  ): Promise<void> {
    await this.sequence.clearHistory();
    for (let from = 0; from < tokens.length; from += slice) {
      const part = tokens.slice(from, from + slice);
      const results = await this.sequence.controlledEvaluate(
        part.map((token): ControlledEvaluateInputItem => [token, { generateNext: { probabilities: true } }]),
      );
      part.forEach((_, offset) => {
        const probabilities = results[offset]?.next.probabilities;
        if (!probabilities) throw new Error(`llama.cpp returned no probabilities at position ${from + offset}`);
        visit(from + offset, probabilities);
      });
    }
  }

  async close(): Promise<void> {
    this.sequence.dispose();
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
