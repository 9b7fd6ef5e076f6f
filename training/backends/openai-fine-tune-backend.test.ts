import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runFineTuneBackendContract } from '../../core/contracts/fine-tune-backend-contract.ts';
import { ConfigError, ServiceError, ValidationError } from '../../core/errors.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import {
  fineTuneRequest,
  parentVersion,
  type RecordingContext,
  recordingContext,
  sampleDataset,
  sampleExamples,
} from './__fixtures__/fine-tune-fixtures.ts';
import {
  fineTuneRoutes,
  loadOpenAIResponse as load,
  recorded,
  type Scenario,
} from './__fixtures__/openai-fine-tune-routes.ts';
import { type ReplayServer, startReplayServer } from './__fixtures__/replay-server.ts';
import { OpenAIFineTuneBackend, type OpenAIFineTuneBackendOptions } from './openai-fine-tune-backend.ts';

let server: ReplayServer | undefined;
let context: RecordingContext | undefined;
let sleeps: number[];

afterEach(async () => {
  await server?.close();
  if (context) await rm(context.folder, { recursive: true, force: true });
  server = undefined;
  context = undefined;
});

async function start(scenario: Scenario, overrides: Partial<OpenAIFineTuneBackendOptions> = {}) {
  server = await startReplayServer(await fineTuneRoutes(scenario));
  sleeps = [];
  const backend = new OpenAIFineTuneBackend({
    baseUrl: server.baseUrl,
    apiKey: recorded.apiKey,
    baseModel: 'gpt-4o-mini-2024-07-18',
    pollIntervalMs: 100,
    maxPollIntervalMs: 400,
    timeoutMs: 5_000,
    keepUploadedFiles: false,
    retries: 2,
    // Record the waits instead of spending them: the tests never depend on the clock.
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
    },
    ...overrides,
  });
  return { backend, server };
}

const calls = (replay: ReplayServer) => replay.requests.map((request) => `${request.method} ${request.path}`);
const jobPath = `/v1/fine_tuning/jobs/${recorded.jobId}`;
const deleteUploads = [
  `DELETE /v1/files/${recorded.trainingFile}`,
  `DELETE /v1/files/${recorded.validationFile}`,
];

describe('OpenAIFineTuneBackend', () => {
  it('uploads both splits, creates the job, polls with backoff and returns the fine-tuned model', async () => {
    const { backend, server } = await start({
      jobs: [await load('job-queued'), await load('job-running'), await load('job-succeeded')],
      events: [await load('events-queued'), await load('events-running'), await load('events-succeeded')],
    });
    context = await recordingContext();
    const hyperparameters = backend.parseHyperparameters({ n_epochs: '3' });
    const result = await backend.train(fineTuneRequest({ hyperparameters }), context);

    expect(server.problems).toEqual([]);
    expect(calls(server)).toEqual([
      'POST /v1/files',
      'POST /v1/files',
      'POST /v1/fine_tuning/jobs',
      `GET ${jobPath}`,
      `GET ${jobPath}/events`,
      `GET ${jobPath}`,
      `GET ${jobPath}/events`,
      `GET ${jobPath}`,
      `GET ${jobPath}/events`,
      `GET /v1/files/${recorded.resultFile}/content`,
      // Once the job is over, the uploads go; the result file OpenAI made stays.
      ...deleteUploads,
    ]);
    expect(context.logs.at(-1)).toBe(
      `deleted the uploaded files ${recorded.trainingFile}, ${recorded.validationFile} from OpenAI`,
    );
    expect(context.warnings).toEqual([]);

    // The uploads: the train split, then the test split, as chat JSONL naming the twin.
    const [trainUpload, validationUpload] = server.requests;
    const trainLines = trainUpload?.form?.files.file?.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(trainUpload?.form?.files.file?.filename).toBe('twin-ds_5f0c1a2b3d4e-train.jsonl');
    expect(trainLines).toHaveLength(12);
    expect(trainLines?.[0]).toEqual({
      messages: [
        { role: 'system', content: twinSystemPrompt('twin') },
        { role: 'user', content: sampleExamples().train[0]?.instruction },
        { role: 'assistant', content: sampleExamples().train[0]?.answer },
      ],
    });
    expect(twinSystemPrompt('twin')).toContain('You are twin');
    expect(validationUpload?.form?.files.file?.text.trim().split('\n')).toHaveLength(3);

    expect(server.requests[2]?.json).toEqual({
      model: 'gpt-4o-mini-2024-07-18',
      training_file: recorded.trainingFile,
      validation_file: recorded.validationFile,
      suffix: 'twin',
      method: {
        type: 'supervised',
        supervised: {
          hyperparameters: { n_epochs: 3, batch_size: 'auto', learning_rate_multiplier: 'auto' },
        },
      },
      metadata: { twin_model: 'twin', twin_dataset: 'ds_5f0c1a2b3d4e', twin_job: 'job-openai-1' },
    });

    expect(result.artifact).toEqual({
      kind: 'openai-compatible',
      baseUrl: server.baseUrl,
      model: recorded.fineTunedModel,
    });
    expect(result.baseModel).toBe('gpt-4o-mini-2024-07-18');
    // "auto" resolved by OpenAI, as the job reports it.
    expect(result.hyperparameters).toEqual({
      n_epochs: 3,
      batch_size: 3,
      learning_rate_multiplier: 1.8,
      suffix: 'twin',
      seed: 1437211850,
    });
    expect(result.metrics).toEqual({
      trainedTokens: 41286,
      trainingSeconds: 742,
      steps: 12,
      trainLoss: 1.2045,
      validationLoss: 1.7213,
      trainTokenAccuracy: 0.668,
      validationTokenAccuracy: 0.594,
    });
    // The full curve comes from the (base64) results file.
    expect(result.lossCurve).toHaveLength(12);
    expect(result.lossCurve[0]).toEqual({ step: 1, trainLoss: 2.4127, validationLoss: 2.3861 });
    expect(result.lossCurve[1]).toEqual({ step: 2, trainLoss: 2.1893, validationLoss: null });

    // Live loss from metrics events, each step once, in order.
    expect(context.losses.map((point) => point.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(context.losses.at(-1)).toEqual({ step: 12, trainLoss: 1.2045, validationLoss: 1.7348 });

    // Each event logged once, in chronological order.
    expect(context.logs.filter((line) => line.includes('Files validated'))).toHaveLength(1);
    const started = context.logs.indexOf('openai: Fine-tuning job started');
    const completed = context.logs.indexOf('openai: The job has successfully completed');
    expect(started).toBeGreaterThan(-1);
    expect(completed).toBeGreaterThan(started);
    expect(context.logs).toContain('openai: Step 6/12: training loss=1.62');

    const fractions = context.progressed.map((entry) => entry.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    expect(context.progressed).toContainEqual({
      fraction: expect.closeTo(0.525, 5),
      message: 'OpenAI job running: step 6/12, loss 1.624',
    });
    // validating → queued → running → succeeded: each change restarts the backoff.
    expect(sleeps).toEqual([100, 100, 100]);
  });

  it('backs off exponentially while the status stays the same', async () => {
    const queued = await load('job-queued');
    const { backend } = await start({
      jobs: [queued, queued, queued, queued, await load('job-succeeded')],
      events: [await load('events-queued'), await load('events-succeeded')],
    });
    context = await recordingContext();
    await backend.train(fineTuneRequest(), context);
    expect(sleeps).toEqual([100, 100, 200, 400, 400]);
  });

  it('reports a failed job with OpenAI’s error code and message', async () => {
    const { backend, server } = await start({
      jobs: [await load('job-failed-invalid-training-file')],
      events: [await load('events-failed')],
    });
    context = await recordingContext();
    const failure = await backend.train(fineTuneRequest(), context).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as Error).message).toBe(
      `OpenAI fine-tuning job ${recorded.jobId} failed: invalid_training_file: The job failed due to an invalid ` +
        'training file. Invalid file format. Example 3, message 3: Assistant message content must be a non-empty string. (training_file)',
    );
    expect(context.logs).toContain(
      'openai: Invalid file format. Example 3, message 3: Assistant message content must be a non-empty string.',
    );
    expect(calls(server)).not.toContain(`POST ${jobPath}/cancel`);
    expect(calls(server).slice(-2)).toEqual(deleteUploads);
  });

  it('cancels the remote job when the local job is aborted mid-poll', async () => {
    const running = await load('job-running');
    const { backend, server } = await start({
      jobs: [await load('job-queued'), running, running, running],
      events: [await load('events-queued'), await load('events-running')],
    });
    context = await recordingContext({
      onProgress: (_, message, controller) => {
        if (message?.startsWith('OpenAI job running')) controller.abort(new Error('cancelled by user'));
      },
    });
    const failure = await backend.train(fineTuneRequest(), context).catch((error: unknown) => error);

    expect((failure as Error).message).toBe(
      `fine-tuning was cancelled; OpenAI job ${recorded.jobId} was cancelled too`,
    );
    expect(((failure as Error).cause as Error).message).toBe('cancelled by user');
    // Cancelled first, so nothing keeps billing; then the uploads are deleted.
    expect(calls(server).slice(-3)).toEqual([`POST ${jobPath}/cancel`, ...deleteUploads]);
    expect(calls(server).filter((call) => call === `GET ${jobPath}`)).toHaveLength(2);
    expect(context.logs).toContain(`cancelled OpenAI fine-tuning job ${recorded.jobId} (status cancelled)`);
  });

  it('deletes the uploads when the job cannot be created', async () => {
    const { backend, server } = await start({
      create: [await load('error-400-model-not-available')],
      jobs: [],
      events: [],
    });
    context = await recordingContext();
    const failure = await backend.train(fineTuneRequest(), context).catch((error: unknown) => error);

    expect((failure as Error).message).toBe(
      'OpenAI POST /fine_tuning/jobs answered 400 model_not_available: Model gpt-4o-mini-2024-07-18 ' +
        'is not available for fine-tuning or does not exist.',
    );
    expect(calls(server)).toEqual([
      'POST /v1/files',
      'POST /v1/files',
      'POST /v1/fine_tuning/jobs',
      ...deleteUploads,
    ]);
    expect(server.problems).toEqual([]);
  });

  it('still succeeds when a DELETE keeps failing, and names the file left at OpenAI', async () => {
    const serverError = await load('error-500-server-error');
    const { backend, server } = await start({
      jobs: [await load('job-succeeded')],
      events: [await load('events-succeeded')],
      deletes: { training: [serverError] },
    });
    context = await recordingContext();
    const result = await backend.train(fineTuneRequest(), context);

    expect(result.artifact).toMatchObject({ model: recorded.fineTunedModel });
    // The training file's DELETE is tried three times (retries: 2); the validation file still goes.
    expect(calls(server).slice(-4)).toEqual([
      deleteUploads[0],
      deleteUploads[0],
      deleteUploads[0],
      deleteUploads[1],
    ]);
    expect(context.warnings.at(-1)).toMatchObject({
      level: 'warn',
      message: 'could not delete the uploaded training files from OpenAI',
      files: [recorded.trainingFile],
      errors: [
        `${recorded.trainingFile}: OpenAI DELETE /files/${recorded.trainingFile} answered 500 server_error: ` +
          'The server had an error while processing your request. Sorry about that!',
      ],
    });
    expect(context.logs).toContain(`deleted the uploaded files ${recorded.validationFile} from OpenAI`);
    expect(context.logs.at(-1)).toMatch(
      new RegExp(`^warning: could not delete the uploaded files ${recorded.trainingFile} from OpenAI \\(`),
    );
  });

  it('keeps the uploads while the job may still be running', async () => {
    // OpenAI down for longer than the watch waits: the job itself may well finish.
    const { backend, server } = await start({ jobs: [await load('error-500-server-error')], events: [] });
    context = await recordingContext();
    const failure = await backend.train(fineTuneRequest(), context).catch((error: unknown) => error);

    expect((failure as Error).message).toMatch(/^OpenAI GET \/fine_tuning\/jobs\/\S+ answered 500/);
    expect(calls(server).filter((call) => call.startsWith('DELETE'))).toEqual([]);
    expect(calls(server).filter((call) => call === `POST ${jobPath}/cancel`)).toEqual([]);
    expect(context.warnings.at(-1)).toMatchObject({
      message: 'kept the uploaded training files: the OpenAI job may still be running',
      jobId: recorded.jobId,
      files: [recorded.trainingFile, recorded.validationFile],
    });
    expect(context.logs.at(-1)).toBe(
      `warning: OpenAI job ${recorded.jobId} may still be running, so its uploaded files ` +
        `${recorded.trainingFile}, ${recorded.validationFile} were kept; delete them once it has ended`,
    );
  });

  it('keeps the uploads when keepUploadedFiles is set', async () => {
    const { backend, server } = await start(
      { jobs: [await load('job-succeeded')], events: [await load('events-succeeded')] },
      { keepUploadedFiles: true },
    );
    context = await recordingContext();
    await backend.train(fineTuneRequest(), context);

    expect(calls(server).filter((call) => call.startsWith('DELETE'))).toEqual([]);
    expect(context.logs.at(-1)).toBe(
      `kept the uploaded files ${recorded.trainingFile}, ${recorded.validationFile} at OpenAI (keepUploadedFiles)`,
    );
  });

  it('waits as long as a 429 asks, then creates the job', async () => {
    const { backend, server } = await start({
      create: [await load('error-429-rate-limit'), await load('job-created')],
      jobs: [await load('job-succeeded')],
      events: [await load('events-succeeded')],
    });
    context = await recordingContext();
    const result = await backend.train(fineTuneRequest(), context);

    expect(result.artifact).toMatchObject({ model: recorded.fineTunedModel });
    expect(calls(server).filter((call) => call === 'POST /v1/fine_tuning/jobs')).toHaveLength(2);
    // retry-after-ms (750) wins over retry-after (1 s); then one poll interval.
    expect(sleeps).toEqual([750, 100]);
    expect(server.problems).toEqual([]);
  });

  it('fails at once on a 401, without retrying or creating a job', async () => {
    const unauthorized = await load('error-401-invalid-api-key');
    const { backend, server } = await start(
      { files: { check: () => [], responses: [unauthorized] }, jobs: [], events: [] },
      { apiKey: 'sk-test-oops' },
    );
    context = await recordingContext();
    const failure = await backend.train(fineTuneRequest(), context).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as ServiceError).retryable).toBe(false);
    expect((failure as Error).message).toMatch(
      /^OpenAI POST \/files answered 401 invalid_api_key: Incorrect API key/,
    );
    expect((failure as Error).message).toContain('check the API key');
    expect(calls(server)).toEqual(['POST /v1/files']);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-test-oops');
  });

  it('refuses to start without an API key, before any request', async () => {
    const { backend, server } = await start({ jobs: [], events: [] }, { apiKey: null });
    context = await recordingContext();
    const failure = await backend.train(fineTuneRequest(), context).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toContain('training.backends.openai.apiKey is not set');
    expect(server.requests).toEqual([]);
  });

  it('warm-starts from a parent it fine-tuned by using the parent model as the base', async () => {
    const { backend, server } = await start({
      jobs: [await load('job-succeeded')],
      events: [await load('events-succeeded')],
    });
    context = await recordingContext();
    const parent = parentVersion({
      artifact: {
        kind: 'openai-compatible',
        baseUrl: `${server.baseUrl}/`,
        model: 'ft:gpt-4o-mini-2024-07-18:acme-writers:twin:A1b2C3d4',
      },
    });
    await backend.train(
      fineTuneRequest({ parent, hyperparameters: { suffix: 'twin-v2', seed: 7 } }),
      context,
    );
    expect(server.requests[2]?.json).toMatchObject({
      model: 'ft:gpt-4o-mini-2024-07-18:acme-writers:twin:A1b2C3d4',
      suffix: 'twin-v2',
      seed: 7,
    });
  });

  it('refuses parents OpenAI cannot continue and datasets too small for it, before any request', async () => {
    const { backend, server } = await start({ jobs: [], events: [] });
    context = await recordingContext();
    const local = parentVersion({
      backend: 'local',
      artifact: { kind: 'local', key: 'models/twin/1/model.json', sha256: 'a'.repeat(64) },
    });
    await expect(backend.train(fineTuneRequest({ parent: local }), context)).rejects.toThrow(
      /cannot warm-start an OpenAI fine-tune from twin:1: it was trained by the local backend/,
    );
    const examples = sampleExamples();
    await expect(
      backend.train(
        fineTuneRequest({
          dataset: sampleDataset({ train: 9, test: 3 }),
          examples: { train: examples.train.slice(0, 9), test: examples.test },
        }),
        context,
      ),
    ).rejects.toThrow('OpenAI needs at least 10 training examples; dataset ds_5f0c1a2b3d4e has 9');
    expect(server.requests).toEqual([]);
  });

  it('validates hyper-parameters, listing every problem', () => {
    const backend = new OpenAIFineTuneBackend({
      baseUrl: 'https://api.openai.com/v1',
      apiKey: null,
      baseModel: 'gpt-4o-mini-2024-07-18',
      pollIntervalMs: 5000,
      maxPollIntervalMs: 60000,
      timeoutMs: 60000,
      keepUploadedFiles: false,
    });
    expect(backend.parseHyperparameters({})).toEqual({
      n_epochs: 'auto',
      batch_size: 'auto',
      learning_rate_multiplier: 'auto',
      suffix: null,
      seed: null,
    });
    let failure: unknown;
    try {
      backend.parseHyperparameters({
        n_epochs: 51,
        learning_rate_multiplier: 'fast',
        suffix: 'My_Twin',
        epochs: 2,
      });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ValidationError);
    const message = (failure as Error).message;
    expect(message).toContain('n_epochs:');
    expect(message).toContain('learning_rate_multiplier: "auto" or a number above 0 and at most 10');
    expect(message).toContain('suffix: only a-z, 0-9 and "-"');
    expect(message).toContain('unknown key epochs');
  });
});

runFineTuneBackendContract('openai (replayed API)', async () => {
  const replay = await startReplayServer(
    await fineTuneRoutes({ jobs: [await load('job-succeeded')], events: [await load('events-succeeded')] }),
  );
  const backend = new OpenAIFineTuneBackend({
    baseUrl: replay.baseUrl,
    apiKey: recorded.apiKey,
    baseModel: 'gpt-4o-mini-2024-07-18',
    pollIntervalMs: 100,
    maxPollIntervalMs: 400,
    timeoutMs: 5_000,
    keepUploadedFiles: false,
    retries: 0,
    sleep: async () => {},
  });
  return {
    backend,
    request: fineTuneRequest({ hyperparameters: backend.parseHyperparameters({}) }),
    hyperparameters: {
      partial: { n_epochs: 3 },
      filled: { n_epochs: 3, batch_size: 'auto', learning_rate_multiplier: 'auto', suffix: null, seed: null },
      invalid: { n_epochs: 51, suffix: 'My_Twin', epochs: 2 },
      problems: ['n_epochs:', 'suffix: only a-z, 0-9 and "-"', 'unknown key epochs'],
    },
    close: replay.close,
  };
});
