import { ValidationError } from '../errors.ts';
import { LocalModel } from '../local-model/local-model.ts';
import type { FinishReason as LocalFinishReason } from '../local-model/sampling.ts';
import type { Logger } from '../logger.ts';
import type { ArtifactStore } from '../ports/artifact-store.ts';
import type { ChatMessage, FinishReason, GenerationRequest, GenerationSummary } from '../ports/generator.ts';
import type { AnswerScore, PromptBudget, ScoreRequest, ScoringModel } from '../ports/runnable-model.ts';

/**
 * The single instruction the local chat format takes: the last user message alone. The local twin
 * was trained on bare instructions, never with a system prompt or earlier turns, and keeps only
 * contextLength/2 − 3 instruction tokens; anything else would crowd out the question.
 */
export function localInstruction(messages: readonly ChatMessage[]): string {
  const last = messages[messages.length - 1];
  if (last?.role !== 'user') {
    throw new ValidationError(
      'the local model answers a user message, and the conversation does not end with one',
    );
  }
  return last.content;
}

const finishReasons: Record<LocalFinishReason, FinishReason> = {
  eos: 'stop',
  stop: 'stop',
  length: 'length',
  abort: 'abort',
};

/**
 * The locally trained twin (core/local-model) behind the Generator port; it scores answers too.
 * Streams and scores are counted so that `close()` (say, on eviction from a cache) frees the
 * weights only after the last one in progress has finished.
 */
export class LocalModelGenerator implements ScoringModel {
  readonly id: string;
  readonly promptBudget: PromptBudget;
  // tfjs runs on this thread: a second request at once would only wait its turn.
  readonly capabilities = { score: true, concurrency: 1 } as const;
  private readonly model: LocalModel;
  private active = 0;
  private closing = false;
  private disposed = false;

  constructor(model: LocalModel, options: { id: string }) {
    this.model = model;
    this.id = options.id;
    this.promptBudget = {
      // ChatFormat keeps this many instruction tokens; the rest of the window is the answer's.
      maxPromptTokens: Math.floor(model.config.contextLength / 2) - 3,
      measure: (messages) => model.countTokens(localInstruction(messages)),
    };
  }

  /** Loads a registered checkpoint; its manifest must hash to the registered sha256. */
  static async load(
    artifacts: ArtifactStore,
    artifact: { key: string; sha256: string },
    options: { id: string; logger?: Logger },
  ): Promise<LocalModelGenerator> {
    const model = await LocalModel.load(artifacts, artifact.key, {
      expectedSha256: artifact.sha256,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return new LocalModelGenerator(model, { id: options.id });
  }

  async *stream(request: GenerationRequest): AsyncGenerator<string, GenerationSummary> {
    this.ensureOpen();
    const instruction = localInstruction(request.messages);
    this.active++;
    try {
      const pieces = this.model.generate(instruction, {
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        ...(request.topK === undefined ? {} : { topK: request.topK }),
        ...(request.topP === undefined ? {} : { topP: request.topP }),
        ...(request.stop ? { stop: request.stop.filter((stop) => stop.length > 0) } : {}),
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      for (;;) {
        const step = await pieces.next();
        if (step.done) {
          return {
            finishReason: finishReasons[step.value.finishReason],
            promptTokens: step.value.promptTokens,
            completionTokens: step.value.completionTokens,
          };
        }
        yield step.value;
      }
    } finally {
      this.active--;
      this.disposeWhenIdle();
    }
  }

  /** Scored as trained: the last user message alone is the instruction (see `localInstruction`). */
  async score(request: ScoreRequest): Promise<AnswerScore> {
    this.ensureOpen();
    const instruction = localInstruction(request.messages);
    request.signal?.throwIfAborted();
    this.active++;
    try {
      return this.model.score(instruction, request.answer);
    } finally {
      this.active--;
      this.disposeWhenIdle();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.disposeWhenIdle();
  }

  private ensureOpen(): void {
    if (this.closing) throw new ValidationError(`generator ${this.id} is closed`);
  }

  private disposeWhenIdle(): void {
    if (!this.closing || this.active > 0 || this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}
