import type { TrainingConfig } from '../../core/config/config-schema.ts';
import { ConfigError, errorMessage, ServiceError, TwinError, ValidationError } from '../../core/errors.ts';
import { OpenAIHttpClient } from '../../core/http/openai-http-client.ts';
import type {
  FineTuneBackend,
  FineTuneContext,
  FineTuneRequest,
  FineTuneResult,
} from '../../core/ports/fine-tune-backend.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import type { LossPoint } from '../../core/types/model-version.ts';
import { toChatJsonl } from './chat-jsonl.ts';
import { FineTuningJob } from './openai-fine-tune-schemas.ts';
import { type OpenAIHyperparameters, parseOpenAIHyperparameters } from './openai-hyperparameters.ts';
import { FineTuningJobEndedError, type JobWatch, watchFineTuningJob } from './openai-job-watch.ts';
import { parseOpenAIResultFile } from './openai-result-file.ts';
import { cleanUpTrainingFiles, uploadTrainingFile } from './openai-training-files.ts';

export type OpenAIBackendConfig = TrainingConfig['backends']['openai'];

export interface OpenAIFineTuneBackendOptions extends OpenAIBackendConfig {
  /** Extra attempts per request on 429/5xx and connection errors. */
  retries?: number;
  fetch?: typeof fetch;
  /** Waits between polls and retries; injectable so tests see the delays without spending them. */
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

/** OpenAI rejects training files with fewer examples than this. */
const minimumTrainingExamples = 10;

/**
 * Fine-tunes on OpenAI: uploads the splits as chat JSONL, creates a supervised job, polls it with
 * backoff while logging its events and loss, and returns the fine-tuned model id as an
 * OpenAI-compatible artifact. Aborting cancels the remote job, so nothing keeps billing; once the
 * job is over (or was never created) the uploaded files are deleted, so the dataset does not stay
 * stored at OpenAI.
 */
export class OpenAIFineTuneBackend implements FineTuneBackend {
  readonly name = 'openai';
  private readonly options: OpenAIFineTuneBackendOptions;

  constructor(options: OpenAIFineTuneBackendOptions) {
    this.options = options;
  }

  parseHyperparameters(input: Record<string, unknown>): Record<string, unknown> {
    return parseOpenAIHyperparameters(input);
  }

  async train(request: FineTuneRequest, context: FineTuneContext): Promise<FineTuneResult> {
    const hyperparameters = parseOpenAIHyperparameters(request.hyperparameters);
    const client = this.client(context);
    const model = this.baseModelFor(request);
    if (request.examples.train.length < minimumTrainingExamples) {
      throw new ValidationError(
        `OpenAI needs at least ${minimumTrainingExamples} training examples; dataset ${request.dataset.id} has ${request.examples.train.length} in its train split`,
      );
    }
    context.signal.throwIfAborted();

    const systemPrompt = twinSystemPrompt(request.modelName);
    const prefix = `${request.modelName}-${request.dataset.id}`;
    const uploaded: string[] = [];
    // Set when the watch broke off while the job may still be running: its files are still needed.
    let unfinishedJob: string | null = null;
    try {
      await context.progress(0, 'uploading the training file');
      const trainingFile = await uploadTrainingFile(
        client,
        `${prefix}-train.jsonl`,
        toChatJsonl(request.examples.train, systemPrompt),
        context.signal,
      );
      uploaded.push(trainingFile);
      await context.log(`uploaded ${request.examples.train.length} training examples as ${trainingFile}`);
      let validationFile: string | null = null;
      if (request.examples.test.length > 0) {
        validationFile = await uploadTrainingFile(
          client,
          `${prefix}-validation.jsonl`,
          toChatJsonl(request.examples.test, systemPrompt),
          context.signal,
        );
        uploaded.push(validationFile);
        await context.log(
          `uploaded ${request.examples.test.length} validation examples as ${validationFile}`,
        );
      }
      context.signal.throwIfAborted();

      const suffix = hyperparameters.suffix ?? defaultSuffix(request.modelName);
      // Not tied to the abort signal: a create that was sent must come back with the job id, or a
      // job could start at OpenAI that we can no longer cancel. Cancellation is checked right after.
      const created = await client.json('POST', '/fine_tuning/jobs', FineTuningJob, {
        json: createBody(request, { model, trainingFile, validationFile, suffix, hyperparameters }),
      });
      await context.log(`created OpenAI fine-tuning job ${created.id} on ${created.model}`);
      await context.progress(0.05, `OpenAI job ${created.id} created`);

      const watch = await watchFineTuningJob(client, created, context, {
        pollIntervalMs: this.options.pollIntervalMs,
        maxPollIntervalMs: this.options.maxPollIntervalMs,
        sleep: this.options.sleep,
      }).catch(async (error: unknown) => {
        if (context.signal.aborted) throw await this.cancelRemote(client, created.id, context, error);
        if (!(error instanceof FineTuningJobEndedError)) unfinishedJob = created.id;
        throw error;
      });
      return await this.result(client, watch, { hyperparameters, suffix }, context);
    } finally {
      await cleanUpTrainingFiles(client, uploaded, context, {
        keep: this.options.keepUploadedFiles,
        unfinishedJob,
      });
    }
  }

  private client(context: FineTuneContext): OpenAIHttpClient {
    if (!this.options.apiKey) {
      throw new ConfigError([
        'training.backends.openai.apiKey is not set: put the key in a config file, or set ' +
          'TWIN_TRAINING__BACKENDS__OPENAI__API_KEY or OPENAI_API_KEY',
      ]);
    }
    return new OpenAIHttpClient({
      baseUrl: this.options.baseUrl,
      apiKey: this.options.apiKey,
      timeoutMs: this.options.timeoutMs,
      retries: this.options.retries ?? 3,
      service: 'OpenAI',
      logger: context.logger,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
    });
  }

  /** OpenAI can fine-tune a model it fine-tuned before: a warm start uses the parent's model id as base. */
  private baseModelFor(request: FineTuneRequest): string {
    const parent = request.parent;
    if (!parent) return request.baseModel ?? this.options.baseModel;
    const where = `${parent.name}:${parent.version}`;
    if (parent.artifact.kind !== 'openai-compatible' || parent.backend !== 'openai') {
      throw new ValidationError(
        `cannot warm-start an OpenAI fine-tune from ${where}: it was trained by the ${parent.backend} backend ` +
          `(artifact ${parent.artifact.kind}); OpenAI can only continue models it fine-tuned itself`,
      );
    }
    if (trimSlash(parent.artifact.baseUrl) !== trimSlash(this.options.baseUrl)) {
      throw new ValidationError(
        `cannot warm-start from ${where}: it lives at ${parent.artifact.baseUrl}, but the openai backend is configured for ${this.options.baseUrl}`,
      );
    }
    if (request.baseModel !== null && request.baseModel !== parent.artifact.model) {
      throw new ValidationError(
        `give either a base model (${request.baseModel}) or a parent version (${where}, ${parent.artifact.model}), not both`,
      );
    }
    return parent.artifact.model;
  }

  /** Cancels the remote job after an abort and returns the error to throw. */
  private async cancelRemote(
    client: OpenAIHttpClient,
    jobId: string,
    context: FineTuneContext,
    cause: unknown,
  ): Promise<Error> {
    try {
      const job = await client.json('POST', `/fine_tuning/jobs/${jobId}/cancel`, FineTuningJob);
      await context.log(`cancelled OpenAI fine-tuning job ${jobId} (status ${job.status})`);
      return new TwinError(`fine-tuning was cancelled; OpenAI job ${jobId} was cancelled too`, { cause });
    } catch (error) {
      context.logger.error('could not cancel the OpenAI job', { jobId, error: errorMessage(error) });
      return new ServiceError(
        `fine-tuning was cancelled, but cancelling OpenAI job ${jobId} failed (${errorMessage(error)}); ` +
          'it may still be running and billing: cancel it in the OpenAI dashboard',
        { cause: error },
      );
    }
  }

  private async result(
    client: OpenAIHttpClient,
    watch: JobWatch,
    effective: { hyperparameters: OpenAIHyperparameters; suffix: string },
    context: FineTuneContext,
  ): Promise<FineTuneResult> {
    const { job } = watch;
    if (!job.fine_tuned_model) {
      throw new ServiceError(`OpenAI job ${job.id} succeeded but names no fine_tuned_model`);
    }
    let lossCurve: LossPoint[] = watch.lossCurve;
    const metrics: Record<string, number> = { ...watch.lastMetrics };
    const resultFile = job.result_files[0];
    if (resultFile) {
      try {
        const summary = parseOpenAIResultFile(
          await client.text(`/files/${resultFile}/content`, { signal: context.signal }),
        );
        if (summary) {
          lossCurve = summary.lossCurve;
          Object.assign(metrics, summary.metrics);
        } else context.logger.warn('the OpenAI results file has an unknown format', { file: resultFile });
      } catch (error) {
        // The model exists and is billed: a missing curve must not lose it.
        context.logger.warn('could not read the OpenAI results file', {
          file: resultFile,
          error: errorMessage(error),
        });
      }
    }
    if (typeof job.trained_tokens === 'number') metrics.trainedTokens = job.trained_tokens;
    if (typeof job.created_at === 'number' && typeof job.finished_at === 'number') {
      metrics.trainingSeconds = job.finished_at - job.created_at;
    }
    // OpenAI resolves "auto" once the job runs; record what was actually used.
    const resolved = job.hyperparameters ?? {};
    const hyperparameters: Record<string, unknown> = {
      ...effective.hyperparameters,
      suffix: effective.suffix,
      n_epochs: resolved.n_epochs ?? effective.hyperparameters.n_epochs,
      batch_size: resolved.batch_size ?? effective.hyperparameters.batch_size,
      learning_rate_multiplier:
        resolved.learning_rate_multiplier ?? effective.hyperparameters.learning_rate_multiplier,
      seed: job.seed ?? effective.hyperparameters.seed,
    };
    await context.progress(1, `fine-tuned model ${job.fine_tuned_model}`);
    await context.log(`OpenAI job ${job.id} succeeded: ${job.fine_tuned_model}`);
    return {
      artifact: { kind: 'openai-compatible', baseUrl: this.options.baseUrl, model: job.fine_tuned_model },
      baseModel: job.model,
      hyperparameters,
      metrics,
      lossCurve,
    };
  }
}

function createBody(
  request: FineTuneRequest,
  settings: {
    model: string;
    trainingFile: string;
    validationFile: string | null;
    suffix: string;
    hyperparameters: OpenAIHyperparameters;
  },
): Record<string, unknown> {
  const { n_epochs, batch_size, learning_rate_multiplier, seed } = settings.hyperparameters;
  return {
    model: settings.model,
    training_file: settings.trainingFile,
    ...(settings.validationFile ? { validation_file: settings.validationFile } : {}),
    suffix: settings.suffix,
    ...(seed !== null ? { seed } : {}),
    method: {
      type: 'supervised',
      supervised: { hyperparameters: { n_epochs, batch_size, learning_rate_multiplier } },
    },
    // Lets someone looking at the OpenAI dashboard find the dataset and job a model came from.
    metadata: { twin_model: request.modelName, twin_dataset: request.dataset.id, twin_job: request.jobId },
  };
}

/** The registry name as an OpenAI suffix (a-z, 0-9, "-", at most 18 characters). */
function defaultSuffix(modelName: string): string {
  return modelName.replace(/[^a-z0-9-]/g, '-').slice(0, 18);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
