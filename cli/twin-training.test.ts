import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SampleSites, startSampleSites } from '../datasets/sample-author/serve-sample-sites.ts';
import { runTwin } from './test-support/run-twin.ts';

const twin = runTwin;

/**
 * The training pipeline through the real `twin` binary: dataset → fine-tune → registry → eval →
 * promote/rollback → lineage, on the local CPU backend with its CI-sized preset.
 */
describe('twin training end to end', { timeout: 600_000 }, () => {
  let sites: SampleSites;
  const folder = mkdtempSync(join(tmpdir(), 'twin-training-'));
  let global: string[];
  let datasetId: string;
  const ci = ['--set', 'preset=ci', '--set', 'steps=30'];

  beforeAll(async () => {
    sites = await startSampleSites();
    const config = join(folder, 'test.yaml');
    writeFileSync(
      config,
      'logLevel: warn\ncrawler:\n  allowLoopback: true\n  perHostDelayMs: 0\nembedder:\n  provider: use-lite\n  workers: 1\n  batchSize: 32\ntraining:\n  backends:\n    local: { preset: ci }\n',
    );
    global = ['--config', config, '--data-dir', join(folder, 'data')];
    const crawled = await twin(['crawl', sites.urls.blogFeed, '--author', 'Noor Halvorsen', ...global]);
    expect(crawled.code, crawled.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await sites.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('builds a content-addressed dataset: the same inputs give the same id', async () => {
    const first = await twin(['datasets', 'build', '--json', ...global]);
    expect(first.code, first.stderr).toBe(0);
    const dataset = JSON.parse(first.stdout);
    expect(dataset).toMatchObject({ created: true, recipe: { kind: 'instruction' } });
    expect(dataset.sizes.train).toBeGreaterThan(10);
    datasetId = dataset.id;
    const again = JSON.parse((await twin(['datasets', 'build', '--json', ...global])).stdout);
    expect(again).toMatchObject({ id: datasetId, created: false });
    const exported = await twin(['datasets', 'export', datasetId, '--format', 'openai', ...global]);
    const lines = exported.stdout.trim().split('\n');
    expect(lines.length).toBe(dataset.sizes.train);
    expect(JSON.parse(lines[0] as string).messages.map((message: { role: string }) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
    ]);
  });

  it('trains, registers with lineage, dedupes the same request and warm-starts a child', async () => {
    const trained = await twin(['train', '--dataset', datasetId, ...ci, '--json', ...global]);
    expect(trained.code, trained.stderr).toBe(0);
    const result = JSON.parse(trained.stdout);
    expect(result).toMatchObject({ modelName: 'twin', version: 1, backend: 'local' });
    expect(result.metrics.validationLoss).toBeGreaterThan(0);
    expect(existsSync(join(folder, 'data', 'artifacts', result.lossCurveKey))).toBe(true);
    expect(readFileSync(join(folder, 'data', 'artifacts', result.lossCurveKey), 'utf8')).toMatch(/^<svg/);

    const again = await twin(['train', '--dataset', datasetId, ...ci, ...global]);
    expect(again.stdout).toMatch(/same request as job ft_[0-9a-f]{16} \(completed\): not training again/);
    expect(again.stdout).toMatch(/registered twin:1 /);

    const child = await twin(['train', '--dataset', datasetId, '--parent', '1', ...ci, '--json', ...global]);
    expect(child.code, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ version: 2 });
    const shown = JSON.parse((await twin(['models', 'show', 'twin:2', '--json', ...global])).stdout);
    expect(shown).toMatchObject({ parentVersion: 1, datasetId, artifact: { kind: 'local' } });

    const lineage = await twin(['models', 'lineage', 'twin:2', ...global]);
    expect(lineage.stdout).toMatch(/model {8}twin:2 \(local/);
    expect(lineage.stdout).toMatch(/↳ parent {3}twin:1/);
    expect(lineage.stdout).toContain(`dataset      ${datasetId}`);
    expect(lineage.stdout).toMatch(/feature set {2}fs_[0-9a-f]{12} \(use-lite@0\.2\.0, 512-d/);
    expect(lineage.stdout).toMatch(/documents {4}\d+/);
  });

  it('builds a preference dataset with rejected answers from a registered base model', async () => {
    const built = await twin([
      'datasets',
      'build',
      '--kind',
      'preference',
      '--rejected-from',
      'twin:1',
      '--json',
      ...global,
    ]);
    expect(built.code, built.stderr).toBe(0);
    const dataset = JSON.parse(built.stdout);
    expect(dataset.recipe.kind).toBe('preference');
    expect(dataset.recipe.generator.prompts['rejected:source']).toBe('model:twin:1');
    expect(dataset.sizes.train).toBeGreaterThan(0);
    const exported = await twin(['datasets', 'export', dataset.id, '--format', 'openai', ...global]);
    const first = JSON.parse(exported.stdout.trim().split('\n')[0] as string);
    expect(first.preferred_output[0].content).not.toBe(first.non_preferred_output[0].content);
    // Fine-tuning needs instruction pairs: a preference dataset is refused with a clear reason.
    const refused = await twin(['train', '--dataset', dataset.id, ...ci, ...global]);
    expect(refused.stderr).toMatch(/is a preference dataset; fine-tuning needs an instruction dataset/);
  });

  it('evaluates, promotes, rolls back, and keeps the audit trail', async () => {
    const evaluated = await twin([
      'eval',
      'twin:1',
      '--dataset',
      datasetId,
      '--limit',
      '3',
      '--max-tokens',
      '16',
      '--json',
      ...global,
    ]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const evaluation = JSON.parse(evaluated.stdout);
    expect(evaluation.metrics.examples).toBe(3);
    expect(evaluation.metrics.rougeL).toBeGreaterThanOrEqual(0);
    expect(evaluation.metrics.perplexity).toBeGreaterThan(1);
    // Grounding is measured by answering the same questions as the API would, and the local
    // model has no base model: the extractive answerer is its baseline, measured in the same run.
    expect(evaluation.grounding.answers).toHaveLength(3);
    expect(evaluation.grounding.citationValidity).toBe(1);
    expect(evaluation.baseline.model).toMatch(/^extractive/);
    expect(evaluation.baseline.metrics).toMatchObject({ citationValidity: 1, rougeL: expect.any(Number) });
    const stored = JSON.parse((await twin(['models', 'show', 'twin:1', '--json', ...global])).stdout);
    expect(stored.metrics).toMatchObject({
      rougeL: evaluation.metrics.rougeL,
      evalExamples: 3,
      groundedness: evaluation.grounding.groundedness,
      'baseline.rougeL': evaluation.baseline.metrics.rougeL,
    });

    expect((await twin(['models', 'promote', 'twin', '1', ...global])).stdout).toMatch(
      /twin@production: — → 1/,
    );
    // Version 2 has no rougeL yet, so the gate refuses it with a clear reason.
    const gated = await twin(['models', 'promote', 'twin', '2', '--gate', ...global]);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(/promotion refused by the gate: twin:2 has no rougeL/);
    expect((await twin(['models', 'promote', 'twin', '2', '--by', 'ada', ...global])).stdout).toMatch(
      /1 → 2/,
    );
    expect((await twin(['models', 'rollback', 'twin', ...global])).stdout).toMatch(/2 → 1 \(rolled back\)/);
    const history = await twin(['models', 'history', 'twin', ...global]);
    expect(history.stdout).toMatch(/production\s+2\s+1\s+twin-cli\s+rollback from 2/);
    expect(history.stdout).toMatch(/production\s+1\s+2\s+ada/);
    const listed = JSON.parse((await twin(['models', 'list', '--json', ...global])).stdout);
    expect(listed.aliases).toEqual([expect.objectContaining({ alias: 'production', version: 1 })]);
  });

  it('refuses bad input clearly and never half-registers a model', async () => {
    const unknownDataset = await twin(['train', '--dataset', 'ds_000000000000', ...ci, ...global]);
    expect(unknownDataset.code).toBe(1);
    expect(unknownDataset.stderr).toMatch(/dataset ds_000000000000 not found/);
    const badParameters = await twin([
      'train',
      '--dataset',
      datasetId,
      '--set',
      'steps=-5',
      '--set',
      'learningRate=big',
      ...global,
    ]);
    expect(badParameters.code).toBe(1);
    expect(badParameters.stderr).toMatch(/steps/);
    expect(badParameters.stderr).toMatch(/learningRate/);
    const unknownBackend = await twin(['train', '--dataset', datasetId, '--backend', 'quantum', ...global]);
    expect(unknownBackend.stderr).toMatch(/unknown backend "quantum"; available: local, openai, command/);
    // The command backend has no trainer configured: the job fails, nothing is registered.
    const failing = await twin(['train', '--dataset', datasetId, '--backend', 'command', ...global]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/fine-tune failed/);
    const jobs = await twin(['jobs', 'list', '--queue', 'training', '--status', 'failed', ...global]);
    expect(jobs.stdout).toMatch(/training\.finetune\s+failed/);
    const versions = JSON.parse(
      (await twin(['models', 'list', 'twin', '--json', ...global])).stdout,
    ).versions;
    expect(versions).toHaveLength(2);
    const unknownModel = await twin(['eval', 'ghost', '--dataset', datasetId, ...global]);
    expect(unknownModel.stderr).toMatch(/model ghost not found/);
  });
});
