import { loadavg } from 'node:os';
import { evaluateTestSplit } from '../../cli/evaluate-test-split.ts';
import { formatTable } from '../../cli/format-table.ts';
import type { Runtime } from '../../cli/runtime.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import questionsFile from '../../datasets/sample-author/questions.json' with { type: 'json' };
import { evaluateGrounding } from '../../inference/index.ts';
import { measure, round } from '../measure.ts';
import { openSampleAuthorTwin } from './open-sample-author-twin.ts';
import { pullBaseModel } from './pull-base-model.ts';
import { trainTwin } from './train-twin.ts';

/** Greedy throughout, so a row's answers are the same on every run of the same build. */
const testSplit = { limit: 8, maxTokens: 80, temperature: 0 };
const grounded = { maxTokens: 120, temperature: 0 };
/**
 * The demo preset at half width and context, 500 steps: about a minute on this machine. In the same
 * time the full demo shape gets through ~80 steps and still answers only newlines; the ci shape
 * reaches a lower loss on its smaller vocabulary but answers in fragments ("keppploke").
 */
const localHyperparameters = {
  preset: 'demo',
  dModel: 64,
  ffnHidden: 256,
  contextLength: 64,
  steps: 500,
  learningRate: 0.01,
  warmupSteps: 25,
};
/**
 * The LoRA fine-tune that fits the demo's budget (its `demo` preset), without the trainer's own
 * validation passes: the rows below measure every model the same way.
 */
const loraHyperparameters = { preset: 'demo', validation: 'none' };
/**
 * The first 12 of the 15 labelled questions: with all 15 the suite took 23 min on the shared
 * 2-core machine (SmolLM2 at ~40 s per grounded answer), far past its ~8 min budget.
 */
const questionLimit = 12;
const baseModelName = 'smollm2-135m-instruct';
const examplesPerRow = 3;

type Candidate = {
  key: 'local' | 'base' | 'lora' | 'extractive';
  label: string;
  version: ModelVersion | null;
};

/**
 * The answer quality of the sample author's twin, four ways on the same data: the small local
 * model fine-tuned briefly, the pulled SmolLM2-135M-Instruct base model, that base fine-tuned with
 * LoRA for the demo's budget, and the extractive answerer over retrieved passages (no model). Each
 * is scored by `twin eval`'s own functions on the
 * dataset's test split (perplexity, ROUGE-L, style similarity) and on the sample author's labelled
 * questions answered with retrieval (groundedness, citation validity).
 */
export async function runQualityBench(): Promise<Record<string, unknown>> {
  const twin = await openSampleAuthorTwin();
  try {
    const { runtime, dataset } = twin;
    const labelled = questionsFile.questions.map((entry) => entry.question);
    const questions = labelled.slice(0, questionLimit);
    const loadAtStart = loadavg()[0] as number;
    process.stderr.write(
      `quality: ${twin.setup.documents} documents, ${twin.setup.chunks} chunks, dataset ${dataset.id} (${dataset.sizes.train} train / ${dataset.sizes.test} test)\n`,
    );
    const training = await measure(() => trainTwin(runtime, dataset.id, 'local', localHyperparameters));
    const local = training.value;
    const base = await pullBaseModel(runtime, baseModelName);
    const loraTraining = await measure(() => trainTwin(runtime, dataset.id, 'lora', loraHyperparameters));
    const lora = loraTraining.value;

    const candidates: Candidate[] = [
      {
        key: 'local',
        label: `${local.name}:${local.version} (local, half-size demo, 500 steps)`,
        version: local,
      },
      { key: 'base', label: `${base.name}:${base.version} (gguf base)`, version: base },
      {
        key: 'lora',
        label: `${lora.name}:${lora.version} (LoRA on the base, demo preset, ${Math.round(loraTraining.durationMs / 1000)} s)`,
        version: lora,
      },
      { key: 'extractive', label: 'extractive (no model)', version: null },
    ];
    // Resident memory only grows as models load and stay cached, so the lightest row runs first
    // and each row's peak shows what it adds to the ones before.
    const order: Candidate['key'][] = ['extractive', 'local', 'base', 'lora'];
    const measured = new Map<Candidate['key'], Awaited<ReturnType<typeof measureRow>>>();
    for (const key of order) {
      const candidate = candidates.find((entry) => entry.key === key) as Candidate;
      measured.set(key, await measureRow(runtime, candidate, dataset.id, questions));
    }

    const rows = candidates.map((candidate) => ({
      key: candidate.key,
      model: candidate.label,
      ...(measured.get(candidate.key) as Awaited<ReturnType<typeof measureRow>>),
    }));
    const cell = (value: number | null, digits = 3) => (value === null ? '—' : value.toFixed(digits));
    process.stderr.write(
      `\n${formatTable(
        ['model', 'perplexity', 'ROUGE-L', 'style', 'grounded', 'citations valid', 'peak RSS MB', 'seconds'],
        rows.map((row) => [
          row.model,
          cell(row.metrics.perplexity, 2),
          cell(row.metrics.rougeL),
          cell(row.metrics.styleSimilarity),
          cell(row.metrics.groundedness),
          cell(row.metrics.citationValidity),
          row.peakRssMb.toFixed(0),
          row.seconds.toFixed(1),
        ]),
        40,
      )}\n`,
    );
    for (const row of rows) {
      process.stderr.write(`\n${row.model}:\n`);
      // Escaped, so an answer of 120 newlines stays one visible line.
      for (const example of row.examples)
        process.stderr.write(`  Q: ${example.question}\n  A: ${JSON.stringify(example.answer)}\n`);
    }
    return {
      setup: {
        ...twin.setup,
        seconds: round(twin.setup.seconds, 1),
        dataset: { id: dataset.id, train: dataset.sizes.train, test: dataset.sizes.test },
        questions: {
          used: questions.length,
          labelled: labelled.length,
          why: `the first ${questions.length}: with all ${labelled.length} the suite took 23 min on this shared 2-core machine, past its ~8 min budget`,
        },
        loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0] as number, 2) },
        localTraining: trainingSummary(training),
        loraTraining: trainingSummary(loraTraining),
        order,
      },
      notes: [
        'perplexity is per token of the author’s answers under each model’s own tokenizer: it ranks a model against itself, not across rows with different tokenizers',
        'peakRssMb is the whole process’s resident memory while the row ran (stores, embedder, and models loaded by the rows before it); rssBeforeMb is where it started',
        'seconds per row cover the test-split answers and the grounded answers, not training or pulling; the machine is shared, see loadAverage',
      ],
      rows,
    };
  } finally {
    await twin.close();
  }
}

/** A fine-tune the bench ran: the version, its settings, what it cost and what it reported. */
function trainingSummary(run: { value: ModelVersion; durationMs: number; peakRssMb: number }) {
  const { name, version, hyperparameters, metrics } = run.value;
  return {
    model: `${name}:${version}`,
    hyperparameters,
    seconds: round(run.durationMs / 1000, 1),
    peakRssMb: run.peakRssMb,
    metrics,
  };
}

async function measureRow(runtime: Runtime, candidate: Candidate, datasetId: string, questions: string[]) {
  const { version } = candidate;
  let lastLine = 0;
  const progress = (label: string) => (fraction: number, message?: string) => {
    if (Date.now() - lastLine < 5000 && fraction < 1) return;
    lastLine = Date.now();
    process.stderr.write(
      `quality ${candidate.key} ${label}: ${Math.round(fraction * 100)}% ${message ?? ''}\n`,
    );
  };
  const rssBeforeMb = round(process.memoryUsage.rss() / 2 ** 20, 1);
  const run = await measure(async () => {
    const evaluation = await evaluateTestSplit(
      runtime,
      version,
      { datasetId, ...testSplit },
      progress('test split'),
    );
    const grounding = await evaluateGrounding(runtime.inference, version, questions, {
      ...grounded,
      progress: (done, total) => progress('questions')(done / total, `${done}/${total}`),
    });
    return { evaluation, grounding };
  });
  const { evaluation, grounding } = run.value;
  return {
    modelId: version ? `${version.name}:${version.version}` : null,
    artifact: version ? version.artifact : null,
    settings: {
      testSplit: { datasetId, ...testSplit, examples: evaluation.metrics.examples },
      grounding: { questions: questions.length, ...grounded },
    },
    metrics: {
      perplexity:
        evaluation.metrics.perplexity === undefined ? null : round(evaluation.metrics.perplexity, 3),
      rougeL: round(evaluation.metrics.rougeL, 4),
      styleSimilarity: round(evaluation.metrics.styleSimilarity, 4),
      groundedness: round(grounding.groundedness, 4),
      citationValidity: round(grounding.citationValidity, 4),
    },
    seconds: round(run.durationMs / 1000, 1),
    peakRssMb: run.peakRssMb,
    rssBeforeMb,
    examples: grounding.answers.slice(0, examplesPerRow).map((answer) => ({
      question: answer.question,
      answer: answer.answer,
      sources: answer.sources.map((source) => source.url),
      score: answer.score,
    })),
  };
}
