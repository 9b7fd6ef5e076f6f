import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '../../../core/adapters/artifacts/local-artifact-store.ts';
import { createLogger } from '../../../core/logger.ts';
import type { FineTuneContext, FineTuneRequest } from '../../../core/ports/fine-tune-backend.ts';
import type { Dataset, InstructionExample } from '../../../core/types/dataset.ts';
import type { LossPoint, ModelVersion } from '../../../core/types/model-version.ts';

const topics = [
  'Why I stopped writing unit tests for getters',
  'What a feature store buys a two-person team',
  'How I review a pull request in ten minutes',
  'The case for boring infrastructure',
  'Notes on running Postgres on a laptop',
  'Why my side projects have no roadmap',
  'What I learned from deleting half our microservices',
  'On naming things after what they do',
  'How I keep a changelog people read',
  'Why I pin every dependency',
  'What I look for in an error message',
  'The one-page design doc',
  'How to say no to a feature request',
  'Why I write the README first',
  'Tracing beats logging for slow requests',
];

/** Instruction examples in the sample author's voice; `train` has 12, `test` has 3. */
export function sampleExamples(): { train: InstructionExample[]; test: InstructionExample[] } {
  const examples = topics.map((topic, index) => ({
    instruction: `Write a short post titled "${topic}".`,
    answer: `${topic}. I keep coming back to this because it saved me more hours than any tool. Start small, measure, and write down why.`,
    kind: 'title-to-article',
    sourceDocumentId: `doc-${String(index + 1).padStart(3, '0')}`,
  }));
  return { train: examples.slice(0, 12), test: examples.slice(12) };
}

export function sampleDataset(sizes = { train: 12, test: 3 }): Dataset {
  return {
    id: 'ds_5f0c1a2b3d4e',
    recipe: {
      kind: 'instruction',
      featureSetId: 'fs_0a1b2c3d4e5f',
      authorId: 'author-1',
      generator: { name: 'rules', version: '1', model: null, prompts: {} },
      filters: { minAnswerCharacters: 80, maxAnswerCharacters: 6000, nearDuplicateThreshold: 0.85 },
      split: { testFraction: 0.2, seed: 'twin' },
    },
    sourceDocumentIds: topics.map((_, index) => `doc-${String(index + 1).padStart(3, '0')}`),
    sizes,
    dropped: {},
    usage: null,
    artifactKey: 'datasets/ds_5f0c1a2b3d4e.json',
    createdAt: '2024-12-05T12:00:00.000Z',
  };
}

export function fineTuneRequest(overrides: Partial<FineTuneRequest> = {}): FineTuneRequest {
  return {
    jobId: 'job-openai-1',
    modelName: 'twin',
    dataset: sampleDataset(),
    examples: sampleExamples(),
    baseModel: null,
    parent: null,
    hyperparameters: {},
    ...overrides,
  };
}

export function parentVersion(overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    name: 'twin',
    version: 1,
    backend: 'openai',
    baseModel: 'gpt-4o-mini-2024-07-18',
    hyperparameters: {},
    datasetId: 'ds_5f0c1a2b3d4e',
    featureSetId: 'fs_0a1b2c3d4e5f',
    parentVersion: null,
    metrics: {},
    lossCurve: [],
    artifact: {
      kind: 'openai-compatible',
      baseUrl: 'https://api.openai.com/v1',
      model: 'ft:gpt-4o-mini-2024-07-18:acme-writers:twin:A1b2C3d4',
    },
    lossCurveKey: null,
    jobId: 'job-0',
    createdAt: '2024-12-01T00:00:00.000Z',
    createdBy: 'test',
    ...overrides,
  };
}

export type RecordingContext = FineTuneContext & {
  progressed: { fraction: number; message: string | undefined }[];
  logs: string[];
  /** What the backend logged at warn level or above: `{ time, level, message, ...fields }`. */
  warnings: Record<string, unknown>[];
  losses: LossPoint[];
  controller: AbortController;
  folder: string;
};

/** A FineTuneContext that records what the backend reports, over a fresh local artifact store. */
export async function recordingContext(
  hooks: {
    onProgress?: (fraction: number, message: string | undefined, controller: AbortController) => void;
    onLog?: (message: string, controller: AbortController) => void;
  } = {},
): Promise<RecordingContext> {
  const folder = await mkdtemp(join(tmpdir(), 'twin-finetune-'));
  const controller = new AbortController();
  const progressed: RecordingContext['progressed'] = [];
  const logs: string[] = [];
  const warnings: Record<string, unknown>[] = [];
  const losses: LossPoint[] = [];
  return {
    artifacts: new LocalArtifactStore(join(folder, 'artifacts')),
    logger: createLogger({ level: 'warn', json: true, write: (line) => warnings.push(JSON.parse(line)) }),
    signal: controller.signal,
    controller,
    folder,
    progressed,
    logs,
    warnings,
    losses,
    async progress(fraction, message) {
      progressed.push({ fraction, message });
      hooks.onProgress?.(fraction, message, controller);
    },
    async log(message) {
      logs.push(message);
      hooks.onLog?.(message, controller);
    },
    onLoss(point) {
      losses.push(point);
    },
  };
}
