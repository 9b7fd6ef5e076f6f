import { NotFoundError, ValidationError } from '../errors.ts';
import type { ModelRegistry } from '../ports/model-registry.ts';
import type { VectorStore } from '../ports/vector-store.ts';
import type { AliasEvent } from '../types/model-version.ts';
import { defaultAlias } from './model-reference.ts';

export type GateResult = {
  metric: string;
  higherIsBetter: boolean;
  candidate: number | null;
  current: number | null;
  currentVersion: number | null;
  passed: boolean;
  reason: string;
};

/**
 * Whether a candidate may replace what an alias serves: it must have the metric and beat the
 * current version's value. A first promotion (no current value) must beat the candidate's
 * baseline instead, `baseline.<metric>`, which `twin eval` measures in the same run on the same
 * examples (its base model, else the extractive answerer); without one it does not pass.
 */
export async function checkGate(
  registry: ModelRegistry,
  options: { name: string; version: number; alias?: string; metric: string; higherIsBetter: boolean },
): Promise<GateResult> {
  const alias = options.alias ?? defaultAlias;
  const candidate = await registry.get(options.name, options.version);
  if (!candidate) throw new NotFoundError(`model ${options.name}:${options.version} not found`);
  const current = await registry.getAlias(options.name, alias);
  const currentVersion = current ? await registry.get(options.name, current.version) : null;
  const candidateValue = candidate.metrics[options.metric] ?? null;
  const currentValue = currentVersion?.metrics[options.metric] ?? null;
  const base = {
    metric: options.metric,
    higherIsBetter: options.higherIsBetter,
    candidate: candidateValue,
    current: currentValue,
    currentVersion: current?.version ?? null,
  };
  const direction = options.higherIsBetter ? 'higher' : 'lower';
  if (candidateValue === null) {
    return {
      ...base,
      passed: false,
      reason: `${options.name}:${options.version} has no ${options.metric}: run \`twin eval\` first`,
    };
  }
  if (!current || currentValue === null) {
    const baseline = candidate.metrics[`baseline.${options.metric}`] ?? null;
    if (baseline === null)
      return {
        ...base,
        passed: false,
        reason: `${options.name}@${alias} holds no version with ${options.metric}, and ${options.name}:${options.version} has no baseline.${options.metric} to beat: run \`twin eval ${options.name}:${options.version} --dataset ID\`, which measures its base model (or the extractive answerer) beside it`,
      };
    const beats = options.higherIsBetter ? candidateValue > baseline : candidateValue < baseline;
    return {
      ...base,
      current: baseline,
      passed: beats,
      reason: `${options.metric} ${candidateValue.toFixed(4)} ${beats ? 'beats' : 'does not beat'} its baseline's ${baseline.toFixed(4)} (${direction} is better; no ${alias} version to compare with yet)`,
    };
  }
  const better = options.higherIsBetter ? candidateValue > currentValue : candidateValue < currentValue;
  return {
    ...base,
    passed: better,
    reason: better
      ? `${options.metric} ${candidateValue.toFixed(4)} beats ${currentValue.toFixed(4)} of ${options.name}:${current.version} (${direction} is better)`
      : `${options.metric} ${candidateValue.toFixed(4)} does not beat ${currentValue.toFixed(4)} of ${options.name}:${current.version} (${direction} is better)`,
  };
}

/**
 * Given to promote and rollback, the vector store whose serving alias follows the `production`
 * model alias to the feature set the served version was trained on.
 */
export type ServingVectors = { vectors?: VectorStore };

/** Points an alias at a version: one atomic move, recorded with who and why. */
export async function promoteModel(
  registry: ModelRegistry,
  options: {
    name: string;
    version: number;
    alias?: string;
    movedBy: string;
    reason?: string;
  } & ServingVectors,
): Promise<AliasEvent> {
  const alias = options.alias ?? defaultAlias;
  const current = await registry.getAlias(options.name, alias);
  if (current?.version === options.version) {
    throw new ValidationError(`${options.name}@${alias} already points at version ${options.version}`);
  }
  return moveWithServingFeatures(
    registry,
    options.vectors,
    { name: options.name, alias, version: options.version },
    () =>
      registry.moveAlias({
        name: options.name,
        alias,
        toVersion: options.version,
        movedBy: options.movedBy,
        reason: options.reason ?? 'promote',
        expectedVersion: current?.version ?? null,
      }),
  );
}

/**
 * Moves the production alias and the vector store's serving alias together. The vector alias moves
 * first because it is the step that can refuse (the version's feature set has no vectors in this
 * store); the registry move then commits, and if it fails (say a concurrent move won) the vector
 * alias goes back to where it was. Other aliases and versions without a feature set leave the
 * serving vectors alone.
 */
async function moveWithServingFeatures(
  registry: ModelRegistry,
  vectors: VectorStore | undefined,
  target: { name: string; alias: string; version: number },
  move: () => Promise<AliasEvent>,
): Promise<AliasEvent> {
  if (!vectors || target.alias !== defaultAlias) return move();
  const model = await registry.get(target.name, target.version);
  const featureSetId = model?.featureSetId ?? null;
  if (featureSetId === null) return move();
  const previous = await vectors.servingFeatureSet();
  if (previous === featureSetId) return move();
  try {
    await vectors.setServingFeatureSet(featureSetId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    throw new NotFoundError(
      `${target.name}:${target.version} was trained on feature set ${featureSetId}, which has no vectors in the vector store: run the feature pipeline for it before serving this version`,
      { cause: error },
    );
  }
  try {
    return await move();
  } catch (error) {
    if (previous !== null) await vectors.setServingFeatureSet(previous);
    throw error;
  }
}

const rollbackReason = 'rollback';

/**
 * Moves an alias back to the version it served before the current one: the one-step rollback.
 * The alias history is replayed as a stack (promotions push, rollbacks pop), so rolling back twice
 * goes two versions back instead of undoing the first rollback.
 */
export async function rollbackModel(
  registry: ModelRegistry,
  options: { name: string; alias?: string; movedBy: string; reason?: string } & ServingVectors,
): Promise<AliasEvent> {
  const alias = options.alias ?? defaultAlias;
  const current = await registry.getAlias(options.name, alias);
  if (!current) throw new ValidationError(`${options.name}@${alias} is not set: nothing to roll back`);
  const stack: number[] = [];
  for (const event of (await registry.aliasHistory(options.name, alias)).reverse()) {
    if (event.reason?.startsWith(rollbackReason)) stack.pop();
    else if (event.toVersion === null) stack.length = 0;
    else stack.push(event.toVersion);
  }
  const target = stack[stack.length - 2];
  if (target === undefined)
    throw new ValidationError(`${options.name}@${alias} has no earlier version to roll back to`);
  return moveWithServingFeatures(
    registry,
    options.vectors,
    { name: options.name, alias, version: target },
    () =>
      registry.moveAlias({
        name: options.name,
        alias,
        toVersion: target,
        movedBy: options.movedBy,
        reason: `${rollbackReason} from ${current.version}${options.reason ? `: ${options.reason}` : ''}`,
        expectedVersion: current.version,
      }),
  );
}
