import { loadNodeLlamaCpp } from '../../core/models/load-node-llama-cpp.ts';
import type { ChatMessage } from '../../core/ports/generator.ts';
import type { ChatTiming } from './chat-timing.ts';
import type { LlamaSettings } from './generation-fixture.ts';

export type DirectLlamaChat = {
  /** The context's size as llama.cpp made it. */
  contextSize: number;
  /** Answers a system + user conversation greedily, the whole prompt evaluated afresh. */
  answer(messages: readonly ChatMessage[], maxTokens: number): Promise<ChatTiming>;
  close(): Promise<void>;
};

/**
 * The baseline: node-llama-cpp used as its documentation shows (getLlama, loadModel,
 * createContext, a LlamaChatSession per answer with the model's own chat template), nothing of the
 * twin in between. Each answer starts from a cleared sequence, so no prompt tokens are reused
 * from the answer before.
 */
export async function openDirectLlamaChat(path: string, settings: LlamaSettings): Promise<DirectLlamaChat> {
  const module = await loadNodeLlamaCpp();
  const llama = await module.getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    maxThreads: settings.threads,
    progressLogs: false,
    logLevel: 'error',
  });
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({
    contextSize: settings.contextSize,
    threads: settings.threads,
    sequences: 1,
  });
  const sequence = context.getSequence();
  // Resolved once: a session left to pick its own ("auto") spends ~0.6 s reading the model's
  // template every time it is made, and one is made per answer.
  const chatWrapper = module.resolveChatWrapper(model);
  return {
    contextSize: context.contextSize,
    async answer(messages, maxTokens) {
      const [system, user, ...rest] = messages;
      if (system?.role !== 'system' || user?.role !== 'user' || rest.length > 0)
        throw new Error('the direct baseline answers exactly one system and one user message');
      const started = performance.now();
      await sequence.clearHistory();
      const before = sequence.tokenMeter.getState();
      const session = new module.LlamaChatSession({
        contextSequence: sequence,
        chatWrapper,
        systemPrompt: system.content,
        autoDisposeSequence: false,
      });
      let firstTokenMs: number | null = null;
      let lastTokenMs = 0;
      const pieces: string[] = [];
      try {
        await session.promptWithMeta(user.content, {
          maxTokens,
          temperature: 0,
          onTextChunk: (text) => {
            if (!text) return;
            lastTokenMs = performance.now() - started;
            firstTokenMs ??= lastTokenMs;
            pieces.push(text);
          },
        });
      } finally {
        session.dispose({ disposeSequence: false });
      }
      const totalMs = performance.now() - started;
      if (firstTokenMs === null) throw new Error('node-llama-cpp answered with no text');
      const used = sequence.tokenMeter.diff(before);
      return {
        firstTokenMs,
        lastTokenMs,
        totalMs,
        promptTokens: used.usedInputTokens,
        completionTokens: used.usedOutputTokens,
        text: pieces.join(''),
      };
    },
    close: async () => {
      sequence.dispose();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
