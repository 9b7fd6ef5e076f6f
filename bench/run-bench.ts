import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExtractionBench } from './extraction/extraction-bench.ts';
import { runFeaturesBench } from './features/features-bench.ts';
import { runGenerationBench } from './generation/generation-bench.ts';
import { runInferenceBench } from './inference-bench.ts';
import { runQualityBench } from './quality/quality-bench.ts';
import { runScaleBench } from './scale/scale-bench.ts';
import { runLoraTrainingBench } from './training/lora-training-bench.ts';
import { runTrainingBench } from './training/training-bench.ts';

/** `npm run bench -- <suite>...`: runs the named suites (all when none) and writes JSON per suite. */
const suites: Record<string, () => Promise<Record<string, unknown>>> = {
  features: runFeaturesBench,
  // Article extraction quality (F1 on the fixture corpus) and speed against plain Readability.
  extraction: runExtractionBench,
  training: runTrainingBench,
  // The LoRA part of `training` alone: it needs the pulled SmolLM2 and takes a few minutes.
  'training-lora': runLoraTrainingBench,
  inference: runInferenceBench,
  scale: runScaleBench,
  generation: runGenerationBench,
  quality: runQualityBench,
};

const resultsDirectory = join(dirname(fileURLToPath(import.meta.url)), 'results');
const requested = process.argv.slice(2).filter((argument) => !argument.startsWith('-'));
const unknown = requested.filter((name) => !(name in suites));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown bench suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}\n`,
  );
  process.exit(2);
}
mkdirSync(resultsDirectory, { recursive: true });
for (const name of requested.length > 0 ? requested : Object.keys(suites)) {
  process.stderr.write(`\n== bench ${name} ==\n`);
  const figures = await (suites[name] as () => Promise<Record<string, unknown>>)();
  const report = {
    suite: name,
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    figures,
  };
  const path = join(resultsDirectory, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`wrote ${path}\n`);
}
