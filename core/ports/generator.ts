/** One turn of a chat. */
export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export type GenerationRequest = {
  messages: ChatMessage[];
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  stop?: string[];
  topK?: number;
  topP?: number;
  seed?: number;
  signal?: AbortSignal;
  /**
   * The passages the answer should be drawn from, as the prompt gave them. A generator that can
   * steer its sampling leans toward their wording (GgufGenerator's copy bias); others ignore it.
   */
  sources?: readonly string[];
};

export type FinishReason = 'stop' | 'length' | 'abort';

/** How a generation ended, with token counts (estimated where the engine gives none). */
export type GenerationSummary = {
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
};

/**
 * Writes the twin's answer. Implementations stream text pieces as they are produced (never a broken
 * character) and return a summary; chosen per registered model version (local checkpoint,
 * OpenAI-compatible endpoint, GGUF file) or the extractive fallback when none is available.
 */
export interface Generator {
  /** What answers: `local:twin:3`, `openai-compatible:gpt-4o-mini@api.openai.com`, `extractive`… */
  readonly id: string;
  stream(request: GenerationRequest): AsyncGenerator<string, GenerationSummary>;
  close(): Promise<void>;
}
