import { ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ArtifactStore } from '../ports/artifact-store.ts';
import type { AnswerScore } from '../ports/runnable-model.ts';
import type { BpeTokenizer } from './bpe-tokenizer.ts';
import { type CheckpointManifest, loadCheckpoint } from './checkpoint.ts';
import type { LocalModelConfig } from './model-config.ts';
import { type GenerationOptions, type GenerationSummary, generateTokens, scoreAnswer } from './sampling.ts';
import { initTfjs } from './tfjs-runtime.ts';
import type { TransformerModel } from './transformer-model.ts';

/** A trained local twin loaded from a checkpoint, ready to answer; what inference serves. */
export class LocalModel {
  readonly manifest: CheckpointManifest;
  private model: TransformerModel | undefined;
  private readonly tokenizer: BpeTokenizer;

  private constructor(model: TransformerModel, tokenizer: BpeTokenizer, manifest: CheckpointManifest) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.manifest = manifest;
  }

  /** Starts tfjs if needed and loads a verified checkpoint (`key`: its folder or manifest key). */
  static async load(
    artifacts: ArtifactStore,
    key: string,
    options: { expectedSha256?: string; logger?: Logger } = {},
  ): Promise<LocalModel> {
    await initTfjs(options.logger ? { logger: options.logger } : {});
    const checkpoint = await loadCheckpoint(
      artifacts,
      key,
      options.expectedSha256 ? { expectedSha256: options.expectedSha256 } : {},
    );
    return new LocalModel(checkpoint.model, checkpoint.tokenizer, checkpoint.manifest);
  }

  get config(): LocalModelConfig {
    return this.manifest.config;
  }

  /** Streams the answer as text pieces; see `generateTokens`. */
  generate(instruction: string, options: GenerationOptions = {}): AsyncGenerator<string, GenerationSummary> {
    return generateTokens(this.live(), this.tokenizer, instruction, options);
  }

  /** The whole answer at once. */
  async complete(
    instruction: string,
    options: GenerationOptions = {},
  ): Promise<{ text: string } & GenerationSummary> {
    const stream = this.generate(instruction, options);
    let text = '';
    for (;;) {
      const step = await stream.next();
      if (step.done) return { text, ...step.value };
      text += step.value;
    }
  }

  /** Per-token log-probabilities of `answer` (and the eos after it) as the reply to `instruction`. */
  score(instruction: string, answer: string): AnswerScore {
    return scoreAnswer(this.live(), this.tokenizer, instruction, answer);
  }

  /** Number of tokens a text takes, for budgeting prompts. */
  countTokens(text: string): number {
    return this.tokenizer.encode(text).length;
  }

  /** Frees the weights; the model cannot be used afterwards. */
  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }

  private live(): TransformerModel {
    if (!this.model) throw new ValidationError('LocalModel has been disposed');
    return this.model;
  }
}
