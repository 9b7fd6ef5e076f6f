import type { ChatMessage } from '../ports/generator.ts';
import { type ChatAnswerTokens, chatAnswerTokens } from './gguf-chat-tokens.ts';
import { loadNodeLlamaCpp } from './load-node-llama-cpp.ts';

/** A GGUF model's tokenizer and chat template, without its weights. */
export type GgufVocabulary = {
  /** Tokens of plain text, as the model's tokenizer splits it. */
  tokenize(text: string): number[];
  /** A chat and its answer as scoring and serving render them (see chatAnswerTokens). */
  chatAnswerTokens(messages: readonly ChatMessage[], answer: string): ChatAnswerTokens;
  close(): Promise<void>;
};

/**
 * Opens only the vocabulary of a GGUF file with llama.cpp (`vocabOnly`: no weights are read), so a
 * trainer tokenises with exactly the tokenizer and chat template the served model uses.
 */
export async function openGgufVocabulary(path: string): Promise<GgufVocabulary> {
  const module = await loadNodeLlamaCpp();
  const llama = await module.getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: 'error',
  });
  try {
    const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
    const chatWrapper = module.resolveChatWrapper(model);
    return {
      tokenize: (text) => [...model.tokenize(text)],
      chatAnswerTokens: (messages, answer) => chatAnswerTokens(model, chatWrapper, messages, answer),
      close: async () => {
        await model.dispose();
        await llama.dispose();
      },
    };
  } catch (error) {
    await llama.dispose();
    throw error;
  }
}
