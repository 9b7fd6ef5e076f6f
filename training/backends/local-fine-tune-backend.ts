import { ValidationError } from '../../core/errors.ts';
import { BpeTokenizer } from '../../core/local-model/bpe-tokenizer.ts';
import { loadCheckpoint, saveCheckpoint } from '../../core/local-model/checkpoint.ts';
import type { LocalModelPreset } from '../../core/local-model/model-config.ts';
import { countParameters, type LocalModelConfig } from '../../core/local-model/model-config.ts';
import { initTfjs } from '../../core/local-model/tfjs-runtime.ts';
import { TransformerModel } from '../../core/local-model/transformer-model.ts';
import type {
  FineTuneBackend,
  FineTuneContext,
  FineTuneRequest,
  FineTuneResult,
} from '../../core/ports/fine-tune-backend.ts';
import type { InstructionExample } from '../../core/types/dataset.ts';
import {
  hyperparametersRecord,
  type LocalHyperparameters,
  parseLocalHyperparameters,
} from './local/local-hyperparameters.ts';
import { prepareTrainingData, splitForValidation } from './local/prepare-training-data.ts';
import { runTrainingLoop } from './local/training-loop.ts';
import { trainingProgressLine } from './training-progress-line.ts';

/**
 * Trains the local twin (core/local-model) on this machine's CPU with tfjs on wasm. From scratch
 * it learns a tokenizer on the training examples and initialises the model from the preset; with
 * a parent version it loads the parent's checkpoint and keeps its tokenizer and shape, so the run
 * is a true continuation (a fine-tune of a fine-tune). The checkpoint is written only after the
 * last step, under `models/<name>/<jobId>/`; a cancelled or failed run writes nothing.
 */
export class LocalFineTuneBackend implements FineTuneBackend {
  readonly name = 'local';

  /** `preset` is the default shape (configured `training.backends.local.preset`); a job may override it. */
  constructor(private readonly defaults: { preset?: LocalModelPreset } = {}) {}

  parseHyperparameters(input: Record<string, unknown>): Record<string, unknown> {
    const withDefault =
      this.defaults.preset && input.preset === undefined ? { preset: this.defaults.preset, ...input } : input;
    return hyperparametersRecord(parseLocalHyperparameters(withDefault));
  }

  async train(request: FineTuneRequest, context: FineTuneContext): Promise<FineTuneResult> {
    const started = performance.now();
    const hyperparameters = parseLocalHyperparameters(request.hyperparameters);
    if (request.baseModel !== null) {
      throw new ValidationError(
        `the local backend has no base models (got "${request.baseModel}"); it trains from scratch or from a parent version`,
      );
    }
    const { backend } = await initTfjs({ logger: context.logger });
    context.signal.throwIfAborted();
    const { model, tokenizer, origin } = await this.startingPoint(request, context, hyperparameters);
    try {
      const config = model.config;
      const data = prepareTrainingData(request.examples, tokenizer, config.contextLength, hyperparameters);
      if (data.train.length === 0) throw new ValidationError('no training examples left after formatting');
      await context.log(
        `local: ${origin}; ${countParameters(config).toLocaleString('en-US')} parameters ` +
          `(d=${config.dModel}, layers=${config.layers}, heads=${config.heads}, context=${config.contextLength}, vocab=${config.vocabSize}) on tfjs-${backend}; ` +
          `${data.trainExamples} examples in ${data.train.length} rows, validation: ${data.validationSource} ` +
          `(${data.validationExamples} examples, ${data.validation.length} rows)`,
      );

      const loop = await runTrainingLoop(model, data, hyperparameters, {
        signal: context.signal,
        onPoint: (point) => context.onLoss?.(point),
        onProgress: (step, status) =>
          context.progress(
            step / hyperparameters.steps,
            trainingProgressLine(step, hyperparameters.steps, status),
          ),
      });

      context.signal.throwIfAborted();
      const trainSeconds = (performance.now() - started) / 1000;
      const metrics: Record<string, number> = {
        trainLoss: loop.trainLoss,
        tokensPerSecond: loop.tokensPerSecond,
        trainSeconds,
        trainTokens: loop.trainTokens,
        parameters: countParameters(config),
      };
      if (loop.validationLoss !== null && Number.isFinite(loop.validationLoss)) {
        metrics.validationLoss = loop.validationLoss;
        metrics.validationPerplexity = Math.exp(loop.validationLoss);
      }
      const saved = await saveCheckpoint(context.artifacts, `models/${request.modelName}/${request.jobId}`, {
        model,
        tokenizer,
        training: {
          jobId: request.jobId,
          datasetId: request.dataset.id,
          parent: request.parent ? { name: request.parent.name, version: request.parent.version } : null,
          hyperparameters: hyperparametersRecord(hyperparameters),
          metrics,
          lossCurve: loop.lossCurve,
        },
      });
      await context.progress(1, `done · loss ${loop.trainLoss.toFixed(3)} · ${Math.round(trainSeconds)} s`);
      return {
        artifact: { kind: 'local', key: saved.key, sha256: saved.sha256 },
        baseModel: null,
        hyperparameters: { ...hyperparametersRecord(hyperparameters), ...shapeRecord(config) },
        metrics,
        lossCurve: loop.lossCurve,
      };
    } finally {
      model.dispose();
    }
  }

  /** A fresh model with a tokenizer learned on the training text, or the parent's checkpoint. */
  private async startingPoint(
    request: FineTuneRequest,
    context: FineTuneContext,
    hyperparameters: LocalHyperparameters,
  ): Promise<{ model: TransformerModel; tokenizer: BpeTokenizer; origin: string }> {
    const { parent } = request;
    if (parent) {
      if (parent.artifact.kind !== 'local') {
        throw new ValidationError(
          `parent ${parent.name}:${parent.version} was trained by ${parent.backend} (${parent.artifact.kind} artifact); the local backend can only continue a local checkpoint`,
        );
      }
      const checkpoint = await loadCheckpoint(context.artifacts, parent.artifact.key, {
        expectedSha256: parent.artifact.sha256,
      });
      const ignored = shapeDifferences(hyperparameters.model, checkpoint.model.config);
      if (ignored.length > 0) {
        context.logger.info("warm start keeps the parent's shape and tokenizer", { notApplied: ignored });
      }
      return {
        model: checkpoint.model,
        tokenizer: checkpoint.tokenizer,
        origin: `warm start from ${parent.name}:${parent.version}`,
      };
    }
    // The tokenizer sees only training text: validation examples stay unseen in every way.
    const { train } = splitForValidation(request.examples, hyperparameters);
    const tokenizer = BpeTokenizer.train(corpusOf(train), { vocabSize: hyperparameters.model.vocabSize });
    const config: LocalModelConfig = { ...hyperparameters.model, vocabSize: tokenizer.vocabSize };
    return {
      model: TransformerModel.create(config),
      tokenizer,
      origin: `from scratch (${hyperparameters.preset} preset)`,
    };
  }
}

function* corpusOf(examples: InstructionExample[]): Generator<string> {
  for (const example of examples) {
    yield example.instruction;
    yield example.answer;
  }
}

function shapeRecord(config: LocalModelConfig): Record<string, unknown> {
  const { seed: _seed, ...shape } = config;
  return shape;
}

/** Shape overrides that differ from the parent's shape (vocabulary and seed aside). */
function shapeDifferences(requested: LocalModelConfig, parent: LocalModelConfig): string[] {
  const keys = ['contextLength', 'dModel', 'layers', 'heads', 'ffnHidden', 'tieEmbeddings'] as const;
  return keys.filter((key) => requested[key] !== parent[key]).map((key) => `${key}=${requested[key]}`);
}
