import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import type { TrainingConfig } from '../../core/config/config-schema.ts';
import { ConfigError, errorMessage, ServiceError, TwinError, ValidationError } from '../../core/errors.ts';
import type {
  FineTuneBackend,
  FineTuneContext,
  FineTuneRequest,
  FineTuneResult,
} from '../../core/ports/fine-tune-backend.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import type { LossPoint, ModelArtifact } from '../../core/types/model-version.ts';
import { toChatJsonl } from './chat-jsonl.ts';
import { parseCommandHyperparameters, toCommandArguments } from './command-hyperparameters.ts';
import { parseCommandProgressLine } from './command-progress-line.ts';
import { findTrainedModel, sha256File } from './find-trained-model.ts';
import { runTrainerProcess } from './run-trainer-process.ts';

export type CommandBackendConfig = TrainingConfig['backends']['command'];

export interface CommandFineTuneBackendOptions extends CommandBackendConfig {
  /** Time between SIGTERM and SIGKILL when the trainer is stopped. */
  killGraceMs?: number;
  /**
   * Where runs write their data and output; defaults to the artifact store's own folder when it is
   * local (so the weights already sit in a stable place), else the OS temp folder.
   */
  workDir?: string;
  /** GGUF files up to this size are copied into a non-local artifact store; bigger ones stay put. */
  maxCopyBytes?: number;
  /** Least time between two logged progress-bar redraws. */
  redrawLogIntervalMs?: number;
}

/**
 * Fine-tunes with an external trainer (an Unsloth or axolotl script on a GPU box). It is run as
 *
 *   <argv…> --dataset <train.jsonl> [--validation <validation.jsonl>] --output <dir> [--base <model>] [--key value…]
 *
 * where the JSONL files hold chat examples (`{"messages": [system, user, assistant]}`), and
 * `--base` is the requested base model or, for a warm start, the parent's model folder. Its output
 * is streamed into the job log; JSON progress lines (see `CommandProgressLine`) drive the progress
 * bar and the loss curve. On success it must have written a `*.gguf` file or a model folder
 * (`config.json`) under `--output`.
 */
export class CommandFineTuneBackend implements FineTuneBackend {
  readonly name = 'command';
  private readonly options: CommandFineTuneBackendOptions;

  constructor(options: CommandFineTuneBackendOptions) {
    this.options = options;
  }

  parseHyperparameters(input: Record<string, unknown>): Record<string, unknown> {
    return parseCommandHyperparameters(input);
  }

  async train(request: FineTuneRequest, context: FineTuneContext): Promise<FineTuneResult> {
    const argv = this.options.argv;
    if (!argv || argv.length === 0) {
      throw new ConfigError([
        'training.backends.command.argv is not set: give the trainer command as a list, e.g. ' +
          '[python, scripts/train_unsloth.py], in a config file or TWIN_TRAINING__BACKENDS__COMMAND__ARGV',
      ]);
    }
    const hyperparameters = parseCommandHyperparameters(request.hyperparameters);
    const baseModel = baseModelFor(request);
    context.signal.throwIfAborted();

    const run = this.runFolder(request, context);
    const files = {
      train: join(run.folder, 'data', 'train.jsonl'),
      validation: join(run.folder, 'data', 'validation.jsonl'),
      output: join(run.folder, 'output'),
    };
    // A retried job starts clean: a model left by an earlier attempt must not be registered.
    await rm(run.folder, { recursive: true, force: true });
    await mkdir(join(run.folder, 'data'), { recursive: true });
    await mkdir(files.output, { recursive: true });
    const systemPrompt = twinSystemPrompt(request.modelName);
    await writeFile(files.train, toChatJsonl(request.examples.train, systemPrompt));
    const hasValidation = request.examples.test.length > 0;
    if (hasValidation) await writeFile(files.validation, toChatJsonl(request.examples.test, systemPrompt));

    const command = [
      ...argv,
      '--dataset',
      files.train,
      ...(hasValidation ? ['--validation', files.validation] : []),
      '--output',
      files.output,
      ...(baseModel ? ['--base', baseModel] : []),
      ...toCommandArguments(hyperparameters),
    ];
    await context.log(`running ${command.map(quoteForDisplay).join(' ')}`);
    await context.progress(0.02, `running ${basename(argv[0] as string)}`);

    const report = new TrainerReport(context, this.options.redrawLogIntervalMs ?? 5_000);
    const exit = await runTrainerProcess(command, {
      timeoutMs: this.options.timeoutMs,
      killGraceMs: this.options.killGraceMs ?? 10_000,
      signal: context.signal,
      onLine: (line, stream, redrawn) => report.line(line, stream, redrawn),
    });
    await report.flushed();

    if (exit.aborted)
      throw new TwinError('fine-tuning was cancelled; the trainer was stopped', {
        cause: context.signal.reason,
      });
    const tail = exit.stderrTail.length > 0 ? `:\n${exit.stderrTail.join('\n')}` : ' (no stderr output)';
    if (exit.timedOut) {
      throw new ServiceError(
        `the trainer did not finish within ${this.options.timeoutMs} ms and was stopped${tail}`,
      );
    }
    if (exit.code !== 0) {
      const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      throw new ServiceError(`the trainer ${how}${tail}`);
    }

    await context.progress(0.97, 'registering the trained model');
    const artifact = await this.artifactFrom(files.output, run, request, context, tail);
    await context.progress(1, `trained model at ${'path' in artifact ? artifact.path : artifact.kind}`);
    return {
      artifact,
      baseModel,
      hyperparameters,
      metrics: report.metrics(),
      lossCurve: report.lossCurve,
    };
  }

  /** A folder per run; stable when it lives in the artifact store or in the configured work folder. */
  private runFolder(request: FineTuneRequest, context: FineTuneContext): { folder: string; stable: boolean } {
    const job = request.jobId.replace(/[^A-Za-z0-9._-]/g, '-');
    if (this.options.workDir)
      return { folder: join(this.options.workDir, request.modelName, job), stable: true };
    const located = context.artifacts.locate(`models/${request.modelName}/${job}`);
    if (isAbsolute(located)) return { folder: located, stable: true };
    return { folder: join(tmpdir(), `twin-command-${request.modelName}-${job}`), stable: false };
  }

  /**
   * The weights are never copied when the run folder is already stable: GGUF files and model
   * folders are gigabytes, and `ArtifactStore.put` takes the bytes in memory. Only when the run had
   * to use a temp folder (a non-local artifact store) is a small GGUF put into the store.
   */
  private async artifactFrom(
    output: string,
    run: { folder: string; stable: boolean },
    request: FineTuneRequest,
    context: FineTuneContext,
    tail: string,
  ): Promise<ModelArtifact> {
    const found = await findTrainedModel(output);
    if (!found) {
      throw new ServiceError(
        `the trainer exited successfully but wrote no *.gguf file and no model folder (config.json) under ${output}${tail}`,
      );
    }
    if (found.kind === 'folder') {
      if (!run.stable)
        context.logger.warn('the model folder stays in a temporary folder', { path: found.path });
      return { kind: 'folder', path: found.path };
    }
    if (found.others.length > 0) {
      await context.log(
        `several GGUF files were written; registering ${found.path} (others: ${found.others.join(', ')})`,
      );
    }
    if (!run.stable && found.bytes <= (this.options.maxCopyBytes ?? 256 * 1024 * 1024)) {
      const key = `models/${request.modelName}/${request.jobId.replace(/[^A-Za-z0-9._-]/g, '-')}/${basename(found.path)}`;
      const stored = await context.artifacts.put(key, await readFile(found.path));
      return { kind: 'gguf', path: context.artifacts.locate(key), sha256: stored.sha256 };
    }
    if (!run.stable) context.logger.warn('the GGUF file stays in a temporary folder', { path: found.path });
    return { kind: 'gguf', path: found.path, sha256: await sha256File(found.path) };
  }
}

/** The `--base` value: the requested model, or for a warm start the parent's model folder. */
function baseModelFor(request: FineTuneRequest): string | null {
  const parent = request.parent;
  if (!parent) return request.baseModel;
  const where = `${parent.name}:${parent.version}`;
  if (parent.artifact.kind !== 'folder') {
    throw new ValidationError(
      `cannot warm-start the command backend from ${where}: its artifact is ${parent.artifact.kind}, and a trainer can only continue from a model folder`,
    );
  }
  if (request.baseModel !== null && request.baseModel !== parent.artifact.path) {
    throw new ValidationError(
      `give either a base model (${request.baseModel}) or a parent version (${where}), not both`,
    );
  }
  return parent.artifact.path;
}

/** Turns trainer output into job log lines, progress, loss points and metrics, in order. */
class TrainerReport {
  readonly lossCurve: LossPoint[] = [];
  private readonly reported: Record<string, number> = {};
  private chain: Promise<void> = Promise.resolve();
  private lastRedrawLog = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly context: FineTuneContext,
    private readonly redrawLogIntervalMs: number,
  ) {}

  line(line: string, stream: 'stdout' | 'stderr', redrawn: boolean): void {
    const report = stream === 'stdout' ? parseCommandProgressLine(line) : null;
    if (!report) {
      if (redrawn) {
        const now = Date.now();
        if (now - this.lastRedrawLog < this.redrawLogIntervalMs) return;
        this.lastRedrawLog = now;
      }
      this.enqueue(() => this.context.log(stream === 'stderr' ? `trainer! ${line}` : `trainer: ${line}`));
      return;
    }
    if (report.step !== undefined && report.loss !== undefined) {
      const point: LossPoint = {
        step: report.step,
        trainLoss: report.loss,
        validationLoss: report.validation_loss ?? null,
      };
      this.lossCurve.push(point);
      this.context.onLoss?.(point);
    }
    if (report.metrics) Object.assign(this.reported, report.metrics);
    const message = report.message;
    const progress = report.progress;
    if (message !== undefined) this.enqueue(() => this.context.log(`trainer: ${message}`));
    if (progress !== undefined) this.enqueue(() => this.context.progress(0.05 + 0.9 * progress, message));
  }

  /** trainLoss / validationLoss / steps of the last loss point, then what the trainer reported. */
  metrics(): Record<string, number> {
    const metrics: Record<string, number> = {};
    const last = this.lossCurve.at(-1);
    if (last) {
      metrics.steps = last.step;
      metrics.trainLoss = last.trainLoss;
    }
    const validation = [...this.lossCurve].reverse().find((point) => point.validationLoss !== null);
    if (validation?.validationLoss != null) metrics.validationLoss = validation.validationLoss;
    return { ...metrics, ...this.reported };
  }

  async flushed(): Promise<void> {
    await this.chain;
  }

  /** Log and progress writes are async; chaining keeps them in output order. */
  private enqueue(write: () => Promise<void>): void {
    this.chain = this.chain.then(write).catch((error: unknown) => {
      this.context.logger.warn('could not record trainer output', { error: errorMessage(error) });
    });
  }
}

function quoteForDisplay(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`;
}
