import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFineTuneBackendContract } from '../../core/contracts/fine-tune-backend-contract.ts';
import { ConfigError, ServiceError, ValidationError } from '../../core/errors.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import {
  fineTuneRequest,
  parentVersion,
  type RecordingContext,
  recordingContext,
} from './__fixtures__/fine-tune-fixtures.ts';
import { CommandFineTuneBackend, type CommandFineTuneBackendOptions } from './command-fine-tune-backend.ts';
import { parseCommandProgressLine } from './command-progress-line.ts';

let scripts: string;
let context: RecordingContext | undefined;

beforeEach(async () => {
  scripts = await mkdtemp(join(tmpdir(), 'twin-trainer-scripts-'));
});

afterEach(async () => {
  await rm(scripts, { recursive: true, force: true });
  if (context) await rm(context.folder, { recursive: true, force: true });
  context = undefined;
});

/** Argument parsing shared by the fake trainers: `--name value` pairs into an object. */
const parseArguments = `
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];
`;

async function trainer(name: string, body: string): Promise<string[]> {
  const path = join(scripts, `${name}.mjs`);
  await writeFile(
    path,
    `import fs from 'node:fs';\nimport path from 'node:path';\n${parseArguments}\n${body}\n`,
  );
  return [process.execPath, path];
}

function backend(argv: string[] | null, overrides: Partial<CommandFineTuneBackendOptions> = {}) {
  return new CommandFineTuneBackend({ argv, timeoutMs: 60_000, killGraceMs: 200, ...overrides });
}

const ggufBytes = 'GGUF\u0003\u0000\u0000\u0000fake weights for a test';

describe('CommandFineTuneBackend', () => {
  it('runs the trainer with the documented arguments, streams its output and registers the GGUF it wrote', async () => {
    const argv = await trainer(
      'good',
      `
fs.writeFileSync(path.join(args.output, 'args.json'), JSON.stringify(args));
console.log('loading base model ' + args.base);
console.error('warning: no GPU found, this will be slow');
const losses = [2.1, 1.7, 1.4, 1.2];
losses.forEach((loss, index) => {
  console.log(JSON.stringify({ progress: (index + 1) / 4, step: (index + 1) * 10, loss, validation_loss: index === 3 ? 1.5 : null }));
});
console.log(JSON.stringify({ metrics: { eval_loss: 1.45 }, message: 'saved' }));
fs.mkdirSync(path.join(args.output, 'checkpoints'));
fs.writeFileSync(path.join(args.output, 'twin.Q4_K_M.gguf'), ${JSON.stringify(ggufBytes)});
`,
    );
    context = await recordingContext();
    const fineTune = backend(argv);
    const hyperparameters = fineTune.parseHyperparameters({
      learning_rate: 0.0002,
      lora_r: 16,
      packing: false,
      optimizer: 'adamw_8bit',
    });
    const result = await fineTune.train(
      fineTuneRequest({ baseModel: 'unsloth/Llama-3.2-1B-Instruct', hyperparameters }),
      context,
    );

    const runFolder = context.artifacts.locate('models/twin/job-openai-1');
    const output = join(runFolder, 'output');
    const args = JSON.parse(await readFile(join(output, 'args.json'), 'utf8'));
    expect(args).toEqual({
      dataset: join(runFolder, 'data', 'train.jsonl'),
      validation: join(runFolder, 'data', 'validation.jsonl'),
      output,
      base: 'unsloth/Llama-3.2-1B-Instruct',
      learning_rate: '0.0002',
      lora_r: '16',
      packing: 'false',
      optimizer: 'adamw_8bit',
    });
    const trainLines = (await readFile(args.dataset, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(trainLines).toHaveLength(12);
    expect(trainLines[0].messages.map((message: { role: string }) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
    ]);
    expect(trainLines[0].messages[0].content).toBe(twinSystemPrompt('twin'));

    const path = join(output, 'twin.Q4_K_M.gguf');
    expect(result.artifact).toEqual({
      kind: 'gguf',
      path,
      sha256: createHash('sha256').update(ggufBytes).digest('hex'),
    });
    expect(result.baseModel).toBe('unsloth/Llama-3.2-1B-Instruct');
    expect(result.hyperparameters).toEqual(hyperparameters);
    expect(result.lossCurve).toEqual([
      { step: 10, trainLoss: 2.1, validationLoss: null },
      { step: 20, trainLoss: 1.7, validationLoss: null },
      { step: 30, trainLoss: 1.4, validationLoss: null },
      { step: 40, trainLoss: 1.2, validationLoss: 1.5 },
    ]);
    expect(context.losses).toEqual(result.lossCurve);
    expect(result.metrics).toEqual({ steps: 40, trainLoss: 1.2, validationLoss: 1.5, eval_loss: 1.45 });

    expect(context.logs).toContain(`trainer: loading base model unsloth/Llama-3.2-1B-Instruct`);
    expect(context.logs).toContain('trainer! warning: no GPU found, this will be slow');
    expect(context.logs).toContain('trainer: saved');
    expect(context.logs.some((line) => line.includes('"progress"'))).toBe(false);
    expect(context.progressed.map((entry) => Number(entry.fraction.toFixed(6)))).toEqual([
      0.02, 0.275, 0.5, 0.725, 0.95, 0.97, 1,
    ]);
  });

  it('registers a model folder (config.json) when no GGUF was written', async () => {
    const argv = await trainer(
      'folder',
      `
const final = path.join(args.output, 'final');
fs.mkdirSync(final);
fs.writeFileSync(path.join(final, 'config.json'), '{"model_type":"llama"}');
fs.writeFileSync(path.join(final, 'model.safetensors'), 'weights');
`,
    );
    context = await recordingContext();
    const result = await backend(argv).train(fineTuneRequest(), context);
    expect(result.artifact).toEqual({
      kind: 'folder',
      path: join(context.artifacts.locate('models/twin/job-openai-1'), 'output', 'final'),
    });
    expect(result.baseModel).toBeNull();
  });

  it('warm-starts from a parent model folder and refuses other parents', async () => {
    const argv = await trainer(
      'warm',
      `console.log('base=' + args.base); fs.writeFileSync(path.join(args.output, 'config.json'), '{}');`,
    );
    context = await recordingContext();
    const parent = parentVersion({
      backend: 'command',
      artifact: { kind: 'folder', path: '/models/twin-1' },
    });
    const result = await backend(argv).train(fineTuneRequest({ parent }), context);
    expect(context.logs).toContain('trainer: base=/models/twin-1');
    expect(result.baseModel).toBe('/models/twin-1');

    await expect(backend(argv).train(fineTuneRequest({ parent: parentVersion() }), context)).rejects.toThrow(
      ValidationError,
    );
  });

  it('fails with the last stderr lines when the trainer exits non-zero', async () => {
    const argv = await trainer(
      'crash',
      `
for (let i = 1; i <= 30; i++) console.error('stack line ' + i);
console.error('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB');
process.exit(1);
`,
    );
    context = await recordingContext();
    const failure = await backend(argv)
      .train(fineTuneRequest(), context)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceError);
    const message = (failure as Error).message;
    expect(message).toMatch(/^the trainer exited with code 1:\n/);
    expect(message).toContain('torch.OutOfMemoryError: CUDA out of memory');
    expect(message).toContain('stack line 30');
    // Only the tail: the first lines are in the job log, not in the error.
    expect(message).not.toContain('stack line 5\n');
    expect(context.logs).toContain('trainer! stack line 1');
  });

  it('stops a trainer that hangs when the job is cancelled, escalating to SIGKILL', async () => {
    const argv = await trainer(
      'hang',
      `
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
console.log('started');
setInterval(() => {}, 1000);
`,
    );
    context = await recordingContext({
      onLog: (message, controller) => {
        if (message === 'trainer: started') controller.abort(new Error('cancelled by user'));
      },
    });
    const failure = await backend(argv)
      .train(fineTuneRequest(), context)
      .catch((error: unknown) => error);
    expect((failure as Error).message).toBe('fine-tuning was cancelled; the trainer was stopped');
    expect(((failure as Error).cause as Error).message).toBe('cancelled by user');
    expect(context.logs).toContain('trainer: ignoring SIGTERM');
  });

  it('stops a trainer that runs past the timeout', async () => {
    const argv = await trainer('slow', `console.error('epoch 1'); setInterval(() => {}, 1000);`);
    context = await recordingContext();
    // The clock starts at spawn: long enough for a node process to start and print on a busy machine.
    const failure = await backend(argv, { timeoutMs: 5_000 })
      .train(fineTuneRequest(), context)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as Error).message).toBe(
      'the trainer did not finish within 5000 ms and was stopped:\nepoch 1',
    );
  });

  it('logs a redrawn progress bar once per interval, not on every redraw', async () => {
    const argv = await trainer(
      'bars',
      `
for (let i = 1; i <= 50; i++) process.stderr.write('train ' + (i * 2) + '%|' + '#'.repeat(i % 10) + '\\r');
process.stderr.write('\\n');
console.log('finished');
fs.writeFileSync(path.join(args.output, 'model.gguf'), 'GGUF');
`,
    );
    context = await recordingContext();
    await backend(argv, { redrawLogIntervalMs: 3_600_000 }).train(fineTuneRequest(), context);
    // The first redraw, then the bar's final state (ended by a newline, as tqdm does on close).
    expect(context.logs.filter((line) => line.startsWith('trainer! train '))).toEqual([
      'trainer! train 2%|#',
      'trainer! train 100%|',
    ]);
    expect(context.logs).toContain('trainer: finished');
  });

  it('fails clearly when the trainer wrote nothing usable', async () => {
    const argv = await trainer('lazy', `console.log('done, I think');`);
    context = await recordingContext();
    await expect(backend(argv).train(fineTuneRequest(), context)).rejects.toThrow(
      /^the trainer exited successfully but wrote no \*\.gguf file and no model folder \(config\.json\) under .*output \(no stderr output\)$/,
    );
  });

  it('refuses to start without a configured command, and reports a command that does not exist', async () => {
    context = await recordingContext();
    const missing = await backend(null)
      .train(fineTuneRequest(), context)
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as Error).message).toContain('training.backends.command.argv is not set');

    await expect(
      backend([join(scripts, 'no-such-trainer')]).train(fineTuneRequest(), context),
    ).rejects.toThrow(/cannot start the trainer .*no-such-trainer: .*ENOENT/);
  });

  it('puts a small GGUF into a non-local artifact store', async () => {
    const argv = await trainer(
      'remote',
      `fs.writeFileSync(path.join(args.output, 'model.gguf'), ${JSON.stringify(ggufBytes)});`,
    );
    context = await recordingContext();
    const stored = new Map<string, Uint8Array>();
    const remote: ArtifactStore = {
      put: async (key, data) => {
        const bytes = typeof data === 'string' ? Buffer.from(data) : data;
        stored.set(key, bytes);
        return { key, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
      },
      get: async (key) => stored.get(key) ?? new Uint8Array(),
      exists: async (key) => stored.has(key),
      list: async () => [...stored.keys()],
      delete: async (key) => {
        stored.delete(key);
      },
      locate: (key) => `s3://twin-artifacts/${key}`,
      close: async () => {},
    };
    const result = await backend(argv).train(fineTuneRequest({ jobId: 'job/2' }), {
      ...context,
      artifacts: remote,
    });
    expect(result.artifact).toEqual({
      kind: 'gguf',
      path: 's3://twin-artifacts/models/twin/job-2/model.gguf',
      sha256: createHash('sha256').update(ggufBytes).digest('hex'),
    });
    expect(Buffer.from(stored.get('models/twin/job-2/model.gguf') ?? []).toString()).toBe(ggufBytes);
  });

  it('validates hyper-parameters: simple scalars only, no flags in disguise, listing every problem', () => {
    let failure: unknown;
    try {
      backend(null).parseHyperparameters({
        epochs: 3,
        output: '/tmp/elsewhere',
        target_modules: ['q_proj', 'v_proj'],
        note: 'line one\nline two',
        trick: '--output=/etc',
        'bad key': 1,
        warmup: -0.5,
        offset: '-3',
      });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ValidationError);
    const message = (failure as Error).message;
    expect(message.split('\n').slice(1)).toEqual([
      '  - output: --output is set by the backend',
      '  - target_modules: only strings, numbers and booleans can be passed to a command (got an array)',
      '  - note: contains a newline or another control character',
      '  - trick: "--output=/etc" would be read as a flag',
      '  - bad key: names are a letter then letters, digits, "_" or "-"',
    ]);
  });

  it('reads only documented JSON lines as progress reports', () => {
    expect(parseCommandProgressLine('{"progress":0.5,"loss":1.2,"step":10}')).toEqual({
      progress: 0.5,
      loss: 1.2,
      step: 10,
    });
    expect(parseCommandProgressLine("{'loss': 1.2, 'epoch': 0.5}")).toBeNull();
    expect(parseCommandProgressLine('{"level":"info","msg":"hello"}')).toBeNull();
    expect(parseCommandProgressLine('{"progress":1.5}')).toBeNull();
    expect(parseCommandProgressLine('epoch 1/3')).toBeNull();
  });
});

runFineTuneBackendContract('command (a tiny Node trainer)', async () => {
  const argv = await trainer(
    'contract',
    `
[1, 2, 3].forEach((step) => {
  console.log(JSON.stringify({ progress: step / 3, step, loss: 2 / step }));
});
fs.writeFileSync(path.join(args.output, 'twin.gguf'), ${JSON.stringify(ggufBytes)});
`,
  );
  const fineTune = backend(argv);
  return {
    backend: fineTune,
    request: fineTuneRequest({ hyperparameters: fineTune.parseHyperparameters({ lora_r: 8 }) }),
    hyperparameters: {
      // The trainer owns its defaults: what is given passes through as given.
      partial: { lora_r: 16, packing: false },
      filled: { lora_r: 16, packing: false },
      invalid: { output: '/tmp/elsewhere', note: 'line one\nline two', 'bad key': 1 },
      problems: [
        'output: --output is set by the backend',
        'note: contains a newline',
        'bad key: names are a letter',
      ],
    },
  };
});
