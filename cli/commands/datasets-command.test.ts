import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../../core/adapters/sqlite/sqlite-metadata-store.ts';
import { NotFoundError } from '../../core/errors.ts';
import {
  registerFeatureSet,
  storeSampleDocuments,
} from '../../training/datasets/__fixtures__/dataset-test-stores.ts';
import { datasetsCommand } from './datasets-command.ts';

const folder = mkdtempSync(join(tmpdir(), 'twin-datasets-cli-'));
const dataDir = join(folder, 'data');
let featureSetId: string;

/** Runs `twin datasets …` in process, with the global options `cli/main.ts` defines. */
async function twin(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command('twin')
    .option('--config <file>')
    .option('--data-dir <dir>')
    .option('--log-level <level>')
    .exitOverride()
    .addCommand(datasetsCommand());
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => stdout.push(String(chunk)) > 0);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
  try {
    await program.parseAsync([
      'node',
      'twin',
      '--data-dir',
      dataDir,
      '--log-level',
      'silent',
      'datasets',
      ...args,
    ]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout: stdout.join(''), stderr: stderr.join('') };
}

beforeAll(async () => {
  const database = openSqliteDatabase(join(dataDir, 'twin.db'));
  const metadata = createSqliteMetadataStore(database);
  await metadata.migrate();
  featureSetId = (await registerFeatureSet(metadata)).id;
  await storeSampleDocuments(metadata, featureSetId);
  await metadata.close();
  database.close();
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('twin datasets', () => {
  let datasetId: string;

  it('build: runs in process with a progress line, and finds the same dataset on a rebuild', async () => {
    const first = await twin('build', '--feature-set', featureSetId, '--json');
    const dataset = JSON.parse(first.stdout);
    expect(dataset).toMatchObject({ created: true, recipe: { kind: 'instruction', featureSetId } });
    datasetId = dataset.id;
    expect(datasetId).toMatch(/^ds_[0-9a-f]{12}$/);

    const again = await twin('build', '--feature-set', featureSetId);
    expect(again.stdout).toContain(`already built: dataset ${datasetId}`);
    expect(again.stdout).toMatch(/examples +\d+ train, \d+ test/);
    expect(again.stdout).toContain('dropped      near-duplicate 5, too-short 3');
    expect(again.stdout).toContain('usage        no LLM used');
    expect(again.stderr).toMatch(/datasets: +100% dataset ds_[0-9a-f]{12} already exists/);
  });

  it('list and show describe the dataset, its recipe, sources and examples', async () => {
    const list = await twin('list');
    expect(list.stdout).toContain(datasetId);
    expect(JSON.parse((await twin('list', '--json')).stdout)).toHaveLength(1);

    const show = await twin('show', datasetId, '--examples', '2');
    expect(show.stdout).toContain(`dataset ${datasetId}`);
    expect(show.stdout).toContain('prompts (offline offline-v1)');
    expect(show.stdout).toContain('title-to-article');
    expect(show.stdout).toContain('source documents (36)');
    expect(show.stdout).toContain('A feature store is a contract, not a database');
    expect(show.stdout).toContain('examples (2)');
    const json = JSON.parse((await twin('show', datasetId, '--examples', '1', '--json')).stdout);
    expect(json.examples).toHaveLength(1);
    expect(json.sourceDocuments).toHaveLength(36);
    expect(json.sourceDocuments[0].text).toBeUndefined();
    await expect(twin('show', 'ds_000000000000')).rejects.toThrow(NotFoundError);
  });

  it('export writes OpenAI JSONL to stdout and Alpaca JSON to a file', async () => {
    const openai = await twin('export', datasetId, '--format', 'openai');
    const lines = openai.stdout.trimEnd().split('\n');
    const rows = lines.map((line) => JSON.parse(line));
    expect(rows.length).toBeGreaterThan(50);
    expect(rows[0].messages.map((message: { role: string }) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
    ]);
    expect(rows[0].messages[0].content).toContain('You are the AI twin of Noor Halvorsen.');

    const file = join(folder, 'test.json');
    const alpaca = await twin('export', datasetId, '--format', 'alpaca', '--split', 'test', '--output', file);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written[0]).toEqual({ instruction: expect.any(String), input: '', output: expect.any(String) });
    expect(alpaca.stderr).toContain(`wrote ${written.length} test examples of ${datasetId} to ${file}`);
    expect(alpaca.stdout).toBe('');
  });

  it('has a description for every subcommand', () => {
    const command = datasetsCommand();
    expect(command.description()).toMatch(/datasets/);
    const descriptions = Object.fromEntries(command.commands.map((sub) => [sub.name(), sub.description()]));
    expect(Object.keys(descriptions)).toEqual(['build', 'list', 'show', 'export']);
    for (const description of Object.values(descriptions)) expect(description.length).toBeGreaterThan(40);
    const build = command.commands.find((sub) => sub.name() === 'build');
    expect(build?.helpInformation()).toMatch(/--generator <generator>.*\(choices: "offline", "llm"/s);
  });
});
