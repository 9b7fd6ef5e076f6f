import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/artifacts/local-artifact-store.ts';
import { runFineTuneBackendContract } from '../../core/contracts/fine-tune-backend-contract.ts';
import { ValidationError } from '../../core/errors.ts';
import { LocalModel } from '../../core/local-model/local-model.ts';
import { silentLogger } from '../../core/logger.ts';
import { perplexity } from '../../core/models/perplexity.ts';
import type { FineTuneContext, FineTuneRequest, FineTuneResult } from '../../core/ports/fine-tune-backend.ts';
import type { Dataset, InstructionExample } from '../../core/types/dataset.ts';
import type { LossPoint, ModelVersion } from '../../core/types/model-version.ts';
import { LocalFineTuneBackend } from './local-fine-tune-backend.ts';

const facts: Array<[string, string]> = [
  ['Who is Tofu?', 'Tofu is my dog and he hates Friday rollbacks.'],
  ['What is a feature store?', 'A feature store is a contract, not a database.'],
  ['What is the easy part?', 'The model is the easy part; the data is the hard part.'],
  ['How do you version data?', 'Hash the content and keep the old versions readable.'],
  ['Why keep it boring?', 'Boring is a feature, ask me how I know.'],
  ['What do you monitor?', 'Retrieval hit rate first, latency second, vibes never.'],
];
const toExample = ([instruction, answer]: [string, string], index: number): InstructionExample => ({
  instruction,
  answer,
  kind: 'test',
  sourceDocumentId: `doc-${index}`,
});
const examples = { train: facts.map(toExample), test: [toExample(['Who is Tofu?', 'Tofu is my dog.'], 9)] };
const dataset = { id: 'ds_0123456789ab' } as Dataset;

describe('LocalFineTuneBackend', () => {
  const backend = new LocalFineTuneBackend();
  let folder: string;
  let artifacts: LocalArtifactStore;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-local-backend-'));
    artifacts = new LocalArtifactStore(folder);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  function context(
    overrides: Partial<FineTuneContext> = {},
  ): FineTuneContext & { messages: string[]; points: LossPoint[] } {
    const messages: string[] = [];
    const points: LossPoint[] = [];
    return {
      artifacts,
      logger: silentLogger,
      signal: new AbortController().signal,
      progress: async (_fraction, message) => {
        if (message) messages.push(message);
      },
      log: async () => {},
      onLoss: (point) => points.push(point),
      ...overrides,
      messages,
      points,
    };
  }

  function request(
    jobId: string,
    hyperparameters: Record<string, unknown>,
    parent: ModelVersion | null = null,
  ): FineTuneRequest {
    return {
      jobId,
      modelName: 'twin',
      dataset,
      examples,
      baseModel: null,
      parent,
      hyperparameters: backend.parseHyperparameters(hyperparameters),
    };
  }

  function versionOf(result: FineTuneResult): ModelVersion {
    return {
      name: 'twin',
      version: 1,
      backend: 'local',
      baseModel: null,
      hyperparameters: result.hyperparameters,
      datasetId: dataset.id,
      featureSetId: null,
      parentVersion: null,
      metrics: result.metrics,
      lossCurve: result.lossCurve,
      artifact: result.artifact,
      lossCurveKey: null,
      jobId: 'job-parent',
      createdAt: new Date().toISOString(),
      createdBy: 'test',
    };
  }

  let parent: FineTuneResult;

  it('trains a ci model whose loss falls and which then recites a training answer', async () => {
    const run = context();
    parent = await backend.train(request('job-parent', { preset: 'ci', steps: 80, evalEvery: 20 }), run);

    expect(parent.artifact).toMatchObject({ kind: 'local', key: 'models/twin/job-parent/manifest.json' });
    const first = parent.lossCurve[0] as LossPoint;
    const last = parent.lossCurve[parent.lossCurve.length - 1] as LossPoint;
    expect(parent.lossCurve.map((point) => point.step)).toEqual([0, 20, 40, 60, 80]);
    expect(last.trainLoss).toBeLessThan(first.trainLoss * 0.3);
    expect(last.validationLoss).not.toBeNull();
    expect(parent.metrics).toMatchObject({ trainLoss: last.trainLoss, validationLoss: last.validationLoss });
    expect(parent.metrics.validationPerplexity).toBeCloseTo(Math.exp(last.validationLoss ?? 0), 6);
    expect(parent.metrics.tokensPerSecond).toBeGreaterThan(0);
    expect(parent.hyperparameters).toMatchObject({ preset: 'ci', steps: 80, dModel: 32, contextLength: 64 });
    expect(run.points).toEqual(parent.lossCurve);
    expect(
      run.messages.some((message) =>
        /^step \d+\/80 · loss \d+\.\d{3} · val \d+\.\d{3} · \d+\.\d tok\/s$/.test(message),
      ),
    ).toBe(true);

    if (parent.artifact.kind !== 'local') throw new Error('expected a local artifact');
    const model = await LocalModel.load(artifacts, parent.artifact.key, {
      expectedSha256: parent.artifact.sha256,
    });
    const answer = await model.complete('What is a feature store?', { temperature: 0, maxTokens: 30 });
    expect(answer.text.startsWith('A feature store is a contract')).toBe(true);
    const memorised = model.score('Who is Tofu?', 'Tofu is my dog and he hates Friday rollbacks.');
    const other = model.score('Who is Tofu?', 'Retrieval hit rate first, latency second.');
    expect(perplexity(memorised.tokenLogProbabilities)).toBeLessThan(perplexity(other.tokenLogProbabilities));
    model.dispose();
  });

  it('warm-starts from a parent: the child begins where the parent ended, not where a fresh model does', async () => {
    const fresh = await backend.train(
      request('job-fresh', { preset: 'ci', steps: 2, evalEvery: 1 }),
      context(),
    );
    const child = await backend.train(
      request('job-child', { preset: 'ci', steps: 10, evalEvery: 5, learningRate: 0.001 }, versionOf(parent)),
      context(),
    );
    const parentEnd = parent.lossCurve[parent.lossCurve.length - 1] as LossPoint;
    const childStart = child.lossCurve[0] as LossPoint;
    const freshStart = fresh.lossCurve[0] as LossPoint;
    expect(freshStart.trainLoss).toBeGreaterThan(Math.log(260));
    expect(Math.abs(childStart.trainLoss - parentEnd.trainLoss)).toBeLessThan(0.5);
    expect(childStart.trainLoss).toBeLessThan(freshStart.trainLoss / 3);
    // The child keeps the parent's shape and tokenizer.
    expect(child.hyperparameters.vocabSize).toBe(parent.hyperparameters.vocabSize);
  });

  it('stops cleanly when cancelled and leaves no checkpoint behind', async () => {
    const controller = new AbortController();
    let steps = 0;
    const run = context({
      signal: controller.signal,
      progress: async () => {
        steps++;
        if (steps === 3) controller.abort(new Error('cancelled by test'));
      },
    });
    await expect(
      backend.train(request('job-cancelled', { preset: 'ci', steps: 500, evalEvery: 10 }), run),
    ).rejects.toThrow('cancelled by test');
    expect(await artifacts.list('models/twin/job-cancelled')).toEqual([]);
  });

  it('refuses a parent that is not a local checkpoint', async () => {
    const foreign: ModelVersion = {
      ...versionOf(parent),
      backend: 'openai',
      artifact: { kind: 'openai-compatible', baseUrl: 'https://api.openai.com/v1', model: 'ft:gpt' },
    };
    await expect(
      backend.train(request('job-foreign', { preset: 'ci', steps: 2 }, foreign), context()),
    ).rejects.toThrow(/can only continue a local checkpoint/);
  });

  it('validates hyper-parameters, listing every problem at once', () => {
    expect(backend.parseHyperparameters({ preset: 'ci' })).toMatchObject({
      preset: 'ci',
      steps: 60,
      batchSize: 8,
      schedule: 'cosine',
      dModel: 32,
      layers: 1,
    });
    const attempt = () =>
      backend.parseHyperparameters({
        steps: -5,
        learningRate: 0,
        stepz: 3,
        dModel: 30,
        heads: 4,
        validationFraction: 2,
        preset: 'huge',
      });
    expect(attempt).toThrow(ValidationError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const field of [
      'steps',
      'learningRate',
      'stepz',
      'validationFraction',
      'preset',
      'dModel: 30 is not divisible by heads',
    ]) {
      expect(message).toContain(field);
    }
    expect(() => backend.parseHyperparameters({ steps: 10, warmupSteps: 10 })).toThrow(
      /warmupSteps: 10 must be smaller/,
    );
  });
});

runFineTuneBackendContract('local (ci preset, four steps)', async () => {
  const backend = new LocalFineTuneBackend();
  return {
    backend,
    request: {
      jobId: 'job-contract',
      modelName: 'twin',
      dataset,
      examples,
      baseModel: null,
      parent: null,
      hyperparameters: backend.parseHyperparameters({ preset: 'ci', steps: 4, evalEvery: 2 }),
    },
    hyperparameters: {
      partial: { preset: 'ci', steps: 4 },
      filled: { preset: 'ci', steps: 4, batchSize: 8, schedule: 'cosine', dModel: 32, layers: 1 },
      invalid: { steps: -5, stepz: 3, dModel: 30, heads: 4 },
      problems: ['steps:', 'stepz', 'dModel: 30 is not divisible by heads'],
    },
  };
});
