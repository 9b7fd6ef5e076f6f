import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../core/errors.ts';
import { canonicalJson, sha256 } from '../../core/hashing.ts';
import { createSeededRandom, deriveSeed } from '../../core/local-model/seeded-random.ts';
import { initTfjs } from '../../core/local-model/tfjs-runtime.ts';
import { writeLoraAdapter } from '../../core/models/gguf/write-lora-adapter.ts';
import { openGgufVocabulary } from '../../core/models/gguf-vocabulary.ts';
import type {
  FineTuneBackend,
  FineTuneContext,
  FineTuneRequest,
  FineTuneResult,
} from '../../core/ports/fine-tune-backend.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import { ggufAdapterArtifact } from '../../core/registry/gguf-adapter-artifact.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import { splitForValidation } from './local/prepare-training-data.ts';
import { loadLlamaGguf } from './lora/load-llama-gguf.ts';
import { LoraAdapters, type LoraSettings } from './lora/lora-adapters.ts';
import {
  checkpointAdapterValues,
  decodeLoraCheckpoint,
  encodeLoraCheckpoint,
  type LoraCheckpoint,
} from './lora/lora-checkpoint.ts';
import {
  adaptedLayers,
  type LoraHyperparameters,
  parseLoraHyperparameters,
} from './lora/lora-hyperparameters.ts';
import { loraRows } from './lora/lora-rows.ts';
import { runLoraTrainingLoop } from './lora/lora-training-loop.ts';
import { parentAdapterValues } from './lora/parent-adapter-values.ts';
import { trainingProgressLine } from './training-progress-line.ts';

export type LoraFineTuneBackendOptions = {
  /**
   * The registered GGUF base model a reference names (`name`, `name:version`; null: the default
   * base). Wired by the CLI to the model registry.
   */
  resolveBase(reference: string | null): Promise<ModelVersion>;
};

/**
 * Fine-tunes a registered GGUF base model (SmolLM2-135M-Instruct by default) with LoRA, in
 * TypeScript on the CPU (tfjs on wasm): the base's weights are dequantised from the file, the
 * examples are tokenised by the base's own tokenizer and chat template, the loss is taken on the
 * answers only, and the result is written as a llama.cpp LoRA adapter that serving loads on the
 * same base file (pinned by sha256). A checkpoint every `checkpointEvery` steps lets a run whose
 * worker died go on from there when the job is delivered again; a cancelled or failed run leaves
 * nothing behind (run-fine-tune removes the job's artifacts).
 */
export class LoraFineTuneBackend implements FineTuneBackend {
  readonly name = 'lora';

  constructor(private readonly options: LoraFineTuneBackendOptions) {}

  parseHyperparameters(input: Record<string, unknown>): Record<string, unknown> {
    return parseLoraHyperparameters(input);
  }

  async train(request: FineTuneRequest, context: FineTuneContext): Promise<FineTuneResult> {
    const started = performance.now();
    const hyperparameters = parseLoraHyperparameters(request.hyperparameters);
    const { parent } = request;
    if (parent && parent.artifact.kind !== 'gguf-adapter')
      throw new ValidationError(
        `parent ${parent.name}:${parent.version} is a ${parent.artifact.kind} model, not a LoRA adapter: the lora backend continues only an adapter it can load on its base`,
      );
    const base = await this.options.resolveBase(
      parent?.artifact.kind === 'gguf-adapter'
        ? `${parent.artifact.base.name}:${parent.artifact.base.version}`
        : request.baseModel,
    );
    const baseReference = `${base.name}:${base.version}`;
    if (base.artifact.kind !== 'gguf' || !base.artifact.sha256)
      throw new ValidationError(
        `${baseReference} is not a hash-pinned GGUF base model (its artifact is ${base.artifact.kind}): the lora backend fine-tunes a GGUF file (\`twin models pull smollm2-135m-instruct\`)`,
      );
    const basePath = base.artifact.path;
    const prefix = `models/${request.modelName}/${request.jobId}`;
    const checkpointKey = `${prefix}/checkpoint.lora`;
    const fingerprint = sha256(
      canonicalJson({
        base: base.artifact.sha256,
        dataset: request.dataset.id,
        parent: parent ? `${parent.name}:${parent.version}` : null,
        // The cache's memory budget changes no number the run computes.
        hyperparameters: { ...hyperparameters, hiddenCacheMegabytes: null },
      }),
    );

    const { backend } = await initTfjs({ logger: context.logger });
    const data = await this.rows(basePath, request, hyperparameters);
    context.signal.throwIfAborted();
    await context.log(`lora: loading ${baseReference} (${basePath})`);
    const model = await loadLlamaGguf(basePath);
    let lora: LoraAdapters | undefined;
    try {
      const settings: LoraSettings = {
        rank: hyperparameters.rank,
        alpha: hyperparameters.alpha,
        targets: hyperparameters.targets,
        layers: adaptedLayers(hyperparameters.layers, model.config.blockCount),
      };
      const resume = await this.checkpoint(context, checkpointKey, fingerprint);
      let origin: string;
      if (resume) {
        lora = LoraAdapters.fromValues(model.config, settings, checkpointAdapterValues(resume));
        origin = `resumed at step ${resume.step} from this job's checkpoint`;
      } else if (parent?.artifact.kind === 'gguf-adapter') {
        lora = LoraAdapters.fromValues(
          model.config,
          settings,
          await parentAdapterValues(
            parent.artifact.adapter.path,
            { tensorNames: LoraAdapters.tensorNamesFor(model.config, settings), rank: settings.rank },
            `${parent.name}:${parent.version}`,
          ),
        );
        origin = `continuing ${parent.name}:${parent.version}`;
      } else {
        lora = LoraAdapters.create(
          model.config,
          settings,
          createSeededRandom(deriveSeed(hyperparameters.seed, 'lora-init')),
        );
        origin = 'fresh adapters (B = 0: the run starts at the base model)';
      }
      const trainable = lora.variables.reduce((sum, variable) => sum + variable.size, 0);
      await context.log(
        `lora: ${baseReference}, ${origin}; rank ${settings.rank}, alpha ${settings.alpha}, ${settings.targets.join('/')} in ${settings.layers?.length} of ${model.config.blockCount} layers: ${trainable.toLocaleString('en-US')} trainable parameters on tfjs-${backend}; ` +
          `${data.train.length} training examples (${data.truncated} cut to ${hyperparameters.maxSequenceTokens} tokens, ${data.dropped} dropped), validation: ${data.validationSource} (${data.validation.length})`,
      );
      if (data.train.length === 0) throw new ValidationError('no training examples left after tokenising');

      const loop = await runLoraTrainingLoop(model, lora, data, hyperparameters, {
        signal: context.signal,
        ...(resume ? { resume } : {}),
        onPoint: (point) => context.onLoss?.(point),
        onProgress: (step, status) =>
          context.progress(
            step / hyperparameters.steps,
            trainingProgressLine(step, hyperparameters.steps, status),
          ),
        saveCheckpoint: async (state) => {
          await context.artifacts.put(checkpointKey, encodeLoraCheckpoint({ fingerprint, ...state }));
        },
      });
      context.signal.throwIfAborted();
      if (loop.hiddenCache)
        await context.log(
          `lora: kept the frozen layers' hidden states of ${loop.hiddenCache.rows} of ${data.train.length} training examples (${(loop.hiddenCache.bytes / 2 ** 20).toFixed(1)} MB of ${hyperparameters.hiddenCacheMegabytes} MB)`,
        );

      const adapterKey = `${prefix}/adapter.gguf`;
      await context.artifacts.put(adapterKey, await adapterBytes(lora, request.modelName));
      await context.artifacts.delete(checkpointKey).catch(() => undefined);
      const artifact = await ggufAdapterArtifact(base, context.artifacts.locate(adapterKey));
      const trainSeconds = (performance.now() - started) / 1000;
      const metrics: Record<string, number> = {
        trainLoss: loop.trainLoss,
        tokensPerSecond: loop.tokensPerSecond,
        trainSeconds,
        trainTokens: loop.trainTokens,
        trainableParameters: trainable,
      };
      if (loop.validationLoss !== null && Number.isFinite(loop.validationLoss)) {
        metrics.validationLoss = loop.validationLoss;
        metrics.validationPerplexity = Math.exp(loop.validationLoss);
      }
      await context.progress(1, `done · loss ${loop.trainLoss.toFixed(3)} · ${Math.round(trainSeconds)} s`);
      return {
        artifact,
        baseModel: baseReference,
        hyperparameters: { ...hyperparameters, layers: hyperparameters.layers },
        metrics,
        lossCurve: loop.lossCurve,
      };
    } finally {
      lora?.dispose();
      model.dispose();
    }
  }

  /** The examples in the base's tokens, split into train and validation as the local backend does. */
  private async rows(basePath: string, request: FineTuneRequest, hyperparameters: LoraHyperparameters) {
    const { train, validation, source } = splitForValidation(request.examples, hyperparameters);
    const vocabulary = await openGgufVocabulary(basePath);
    try {
      const systemPrompt = twinSystemPrompt(request.modelName);
      const trainRows = loraRows(vocabulary, train, systemPrompt, hyperparameters.maxSequenceTokens);
      const validationRows = loraRows(
        vocabulary,
        validation,
        systemPrompt,
        hyperparameters.maxSequenceTokens,
      );
      return {
        train: trainRows.rows,
        validation: validationRows.rows,
        truncated: trainRows.truncated,
        dropped: trainRows.dropped,
        validationSource: source,
      };
    } finally {
      await vocabulary.close();
    }
  }

  /** This job's checkpoint when one exists for exactly this run; otherwise none (and why, logged). */
  private async checkpoint(
    context: FineTuneContext,
    key: string,
    fingerprint: string,
  ): Promise<LoraCheckpoint | undefined> {
    if (!(await context.artifacts.exists(key))) return undefined;
    try {
      const checkpoint = decodeLoraCheckpoint(await context.artifacts.get(key), key);
      if (checkpoint.fingerprint === fingerprint) return checkpoint;
      await context.log(`lora: ignoring ${key}: it is from a run with other inputs or hyper-parameters`);
    } catch (error) {
      await context.log(`lora: ignoring ${key}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return undefined;
  }
}

/** The adapter file's bytes, written by the one llama.cpp adapter writer through a scratch file. */
async function adapterBytes(lora: LoraAdapters, name: string): Promise<Uint8Array> {
  const folder = await mkdtemp(join(tmpdir(), 'twin-lora-'));
  try {
    const path = join(folder, 'adapter.gguf');
    await writeLoraAdapter(path, lora.adapterFile(name));
    return new Uint8Array(await readFile(path));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
