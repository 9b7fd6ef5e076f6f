import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../adapters/artifacts/local-artifact-store.ts';
import { ValidationError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import type { FineTuneBackend, FineTuneContext, FineTuneRequest } from '../ports/fine-tune-backend.ts';
import { type LossPoint, ModelArtifact } from '../types/model-version.ts';

export type FineTuneBackendFixture = {
  backend: FineTuneBackend;
  /** A request the backend trains in seconds (a tiny preset, a replayed API, a tiny trainer). */
  request: FineTuneRequest;
  hyperparameters: {
    /** Input that leaves defaults out, and (part of) what parsing must fill in. */
    partial: Record<string, unknown>;
    filled: Record<string, unknown>;
    /** Input with several problems, and a piece of the error message naming each one. */
    invalid: Record<string, unknown>;
    problems: string[];
  };
  /** Frees what the fixture holds (a replay server, a scripts folder). */
  close?(): Promise<void>;
};

type RecordedContext = FineTuneContext & {
  controller: AbortController;
  fractions: number[];
  losses: LossPoint[];
  onProgress?: () => void;
};

/** The error and the causes it carries, outermost first. */
function causesOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && !chain.includes(current); ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/** The behaviour every FineTuneBackend must have: local CPU trainer, OpenAI, an external command. */
export function runFineTuneBackendContract(name: string, create: () => Promise<FineTuneBackendFixture>) {
  describe(`FineTuneBackend contract: ${name}`, () => {
    let fixture: FineTuneBackendFixture;
    let folder: string;
    let context: RecordedContext;
    beforeEach(async () => {
      fixture = await create();
      folder = await mkdtemp(join(tmpdir(), 'twin-fine-tune-contract-'));
      const controller = new AbortController();
      const fractions: number[] = [];
      const losses: LossPoint[] = [];
      context = {
        artifacts: new LocalArtifactStore(folder),
        logger: silentLogger,
        signal: controller.signal,
        controller,
        fractions,
        losses,
        progress: async (fraction) => {
          fractions.push(fraction);
          context.onProgress?.();
        },
        log: async () => {},
        onLoss: (point) => losses.push(point),
      };
    });
    afterEach(async () => {
      await fixture.close?.();
      await rm(folder, { recursive: true, force: true });
    });

    it('fills hyper-parameter defaults, and parsing its own output changes nothing', () => {
      const { backend, hyperparameters } = fixture;
      const parsed = backend.parseHyperparameters(hyperparameters.partial);
      expect(parsed).toMatchObject(hyperparameters.filled);
      // Jobs store parsed hyper-parameters and train parses them again.
      expect(backend.parseHyperparameters(parsed)).toEqual(parsed);
    });

    it('rejects invalid hyper-parameters with one ValidationError that names every problem', () => {
      const { backend, hyperparameters } = fixture;
      expect(hyperparameters.problems.length).toBeGreaterThan(1);
      let failure: unknown;
      try {
        backend.parseHyperparameters(hyperparameters.invalid);
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(ValidationError);
      for (const problem of hyperparameters.problems) expect((failure as Error).message).toContain(problem);
    });

    it('trains: a registrable artifact, a loss curve, finite metrics, progress from 0 to 1', async () => {
      expect(fixture.backend.name).toMatch(/^[a-z][a-z0-9-]*$/);
      const result = await fixture.backend.train(fixture.request, context);
      expect(ModelArtifact.safeParse(result.artifact).success).toBe(true);
      expect(result.lossCurve.length).toBeGreaterThan(0);
      const steps = result.lossCurve.map((point) => point.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(new Set(steps).size).toBe(steps.length);
      for (const point of result.lossCurve) expect(Number.isFinite(point.trainLoss)).toBe(true);
      const liveSteps = context.losses.map((point) => point.step);
      expect(liveSteps.length).toBeGreaterThan(0);
      expect(liveSteps).toEqual([...liveSteps].sort((a, b) => a - b));
      for (const value of Object.values(result.metrics)) expect(Number.isFinite(value)).toBe(true);
      expect(typeof result.hyperparameters).toBe('object');
      expect(context.fractions.length).toBeGreaterThan(0);
      for (const fraction of context.fractions) {
        expect(fraction).toBeGreaterThanOrEqual(0);
        expect(fraction).toBeLessThanOrEqual(1);
      }
      expect(context.fractions).toEqual([...context.fractions].sort((a, b) => a - b));
      expect(context.fractions.at(-1)).toBe(1);
    });

    it('does not start when its signal is already aborted: the reason, no progress, nothing written', async () => {
      const reason = new Error('cancelled before the start');
      context.controller.abort(reason);
      const failure = await fixture.backend.train(fixture.request, context).catch((error: unknown) => error);
      expect(causesOf(failure)).toContain(reason);
      expect(context.fractions).toEqual([]);
      expect(await context.artifacts.list('')).toEqual([]);
    });

    it('stops when aborted while it runs, failing with the reason', async () => {
      const reason = new Error('cancelled while training');
      context.onProgress = () => context.controller.abort(reason);
      const failure = await fixture.backend.train(fixture.request, context).catch((error: unknown) => error);
      expect(causesOf(failure)).toContain(reason);
      expect(context.fractions.at(-1)).toBeLessThan(1);
    });
  });
}
