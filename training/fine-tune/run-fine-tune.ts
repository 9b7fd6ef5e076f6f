import { NotFoundError, ValidationError } from '../../core/errors.ts';
import type { FineTuneResult, ParsedJobPayload } from '../../core/jobs/job-contracts.ts';
import type { JobContext } from '../../core/ports/job-queue.ts';
import type { LossPoint } from '../../core/types/model-version.ts';
import { renderLossCurveSvg } from '../backends/loss-curve-svg.ts';
import { loadDatasetExamples } from '../datasets/load-dataset-examples.ts';
import type { TrainingDependencies } from '../training-dependencies.ts';

/**
 * The fine-tune job: dataset → backend → model registry. The version is registered only after the
 * backend has finished and its loss curve is stored, and it carries the job id, so a crash or a
 * retry never leaves a half-registered or duplicated model. Artifacts of a failed run are removed.
 */
export async function runFineTune(
  payload: ParsedJobPayload<'training.finetune'>,
  context: Pick<JobContext, 'jobId' | 'progress' | 'log' | 'signal'>,
  dependencies: TrainingDependencies,
  onLoss?: (point: LossPoint) => void,
): Promise<FineTuneResult> {
  const started = performance.now();
  const { metadata, artifacts, backends, logger } = dependencies;
  const backend = backends[payload.backend];
  if (!backend) {
    throw new ValidationError(
      `unknown backend "${payload.backend}"; available: ${Object.keys(backends).join(', ')}`,
    );
  }
  // Redelivered after its worker died between registering the version and reporting the job done
  // (a SIGKILL, a lost lock): report that version instead of training again, which would waste
  // the run and, should the retrain fail, delete the registered version's artifacts below.
  const registered = (await metadata.models.list(payload.modelName)).find(
    (version) => version.jobId === context.jobId,
  );
  if (registered) {
    await context.log(`already registered ${registered.name}:${registered.version} by this job`);
    return {
      modelName: registered.name,
      version: registered.version,
      backend: registered.backend,
      metrics: registered.metrics,
      lossCurveKey: registered.lossCurveKey,
      durationMs: performance.now() - started,
    };
  }
  const dataset = await metadata.datasets.get(payload.datasetId);
  if (!dataset)
    throw new NotFoundError(`dataset ${payload.datasetId} not found (see \`twin datasets list\`)`);
  if (dataset.recipe.kind !== 'instruction') {
    throw new ValidationError(
      `dataset ${dataset.id} is a ${dataset.recipe.kind} dataset; fine-tuning needs an instruction dataset`,
    );
  }
  const examples = await loadDatasetExamples(artifacts, dataset, 'instruction');
  if (examples.train.length === 0)
    throw new ValidationError(`dataset ${dataset.id} has no training examples`);
  const hyperparameters = backend.parseHyperparameters(payload.hyperparameters);
  const parent =
    payload.parentVersion === null
      ? null
      : await metadata.models.get(payload.modelName, payload.parentVersion);
  if (payload.parentVersion !== null && !parent) {
    throw new NotFoundError(`parent model ${payload.modelName}:${payload.parentVersion} not found`);
  }

  const prefix = `models/${payload.modelName}/${context.jobId}/`;
  await context.log(
    `fine-tuning ${payload.modelName} with ${backend.name} on ${dataset.id} (${examples.train.length} train / ${examples.test.length} test)${parent ? ` from ${parent.name}:${parent.version}` : ''}`,
  );
  try {
    const result = await backend.train(
      {
        jobId: context.jobId,
        modelName: payload.modelName,
        dataset,
        examples,
        baseModel: payload.baseModel,
        parent,
        hyperparameters,
      },
      {
        artifacts,
        logger,
        signal: context.signal,
        progress: (fraction, message) => context.progress(fraction * 0.98, message),
        log: context.log,
        ...(onLoss ? { onLoss } : {}),
      },
    );
    if (context.signal.aborted) throw context.signal.reason;
    let lossCurveKey: string | null = null;
    if (result.lossCurve.length > 1) {
      lossCurveKey = `${prefix}loss-curve.svg`;
      await artifacts.put(
        lossCurveKey,
        renderLossCurveSvg(result.lossCurve, {
          title: `${payload.modelName} · ${backend.name} · ${dataset.id}`,
        }),
      );
    }
    const version = await metadata.models.register({
      name: payload.modelName,
      backend: backend.name,
      baseModel: result.baseModel,
      hyperparameters: result.hyperparameters,
      datasetId: dataset.id,
      featureSetId: dataset.recipe.featureSetId,
      parentVersion: parent?.version ?? null,
      metrics: result.metrics,
      lossCurve: result.lossCurve,
      artifact: result.artifact,
      lossCurveKey,
      jobId: context.jobId,
      createdBy: payload.requestedBy,
    });
    await context.log(`registered ${version.name}:${version.version}`);
    return {
      modelName: version.name,
      version: version.version,
      backend: backend.name,
      metrics: version.metrics,
      lossCurveKey,
      durationMs: performance.now() - started,
    };
  } catch (error) {
    // Nothing was registered; do not leave checkpoints of a failed run behind.
    for (const key of await artifacts.list(prefix)) await artifacts.delete(key);
    throw error;
  }
}
