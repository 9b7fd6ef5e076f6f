import { z } from 'zod';
import { loadResponse, type ReceivedRequest, type RecordedResponse, type ReplayRoute } from './replay-server.ts';

export const recorded = {
  jobId: 'ftjob-Q9r3TyZbX1mN4kP7sL2vW8eD',
  trainingFile: 'file-2QdUprKUc3hV8Yq9G4Xe1s',
  validationFile: 'file-7KxvW3bPn1Jr6TtHf8Lm2a',
  resultFile: 'file-Rs5Y8hN2cV4bJ7mQ1wE6tD',
  fineTunedModel: 'ft:gpt-4o-mini-2024-07-18:acme-writers:twin:B3xK9pQz',
  apiKey: 'sk-test',
};

const ChatLine = z
  .object({
    messages: z.tuple([
      z.object({ role: z.literal('system'), content: z.string().min(1) }).strict(),
      z.object({ role: z.literal('user'), content: z.string().min(1) }).strict(),
      z.object({ role: z.literal('assistant'), content: z.string().min(1) }).strict(),
    ]),
  })
  .strict();

/** The documented body of POST /fine_tuning/jobs (supervised method, no deprecated fields). */
const CreateJobBody = z
  .object({
    model: z.string().min(1),
    training_file: z.literal(recorded.trainingFile),
    validation_file: z.literal(recorded.validationFile).optional(),
    suffix: z.string().regex(/^[a-z0-9-]{1,18}$/),
    seed: z.number().int().optional(),
    method: z
      .object({
        type: z.literal('supervised'),
        supervised: z.object({
          hyperparameters: z
            .object({
              n_epochs: z.union([z.literal('auto'), z.number().int()]),
              batch_size: z.union([z.literal('auto'), z.number().int()]),
              learning_rate_multiplier: z.union([z.literal('auto'), z.number()]),
            })
            .strict(),
        }),
      })
      .strict(),
    metadata: z.record(z.string(), z.string().max(512)),
  })
  .strict();

function authProblems(request: ReceivedRequest): string[] {
  return request.headers.authorization === `Bearer ${recorded.apiKey}` ? [] : ['no bearer API key'];
}

function zodProblems(schema: z.ZodType, value: unknown, where: string): string[] {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${where} ${issue.path.join('.')}: ${issue.message}`);
}

/** POST /files as OpenAI checks it: multipart, purpose fine-tune, a .jsonl of chat examples. */
export function checkUpload(request: ReceivedRequest): string[] {
  const problems = authProblems(request);
  if (!request.form) return [...problems, 'not a multipart/form-data body'];
  if (request.form.fields.purpose !== 'fine-tune') problems.push('purpose is not "fine-tune"');
  const file = request.form.files.file;
  if (!file) return [...problems, 'no "file" part'];
  if (!file.filename.endsWith('.jsonl')) problems.push(`file name ${file.filename} is not .jsonl`);
  const lines = file.text.split('\n');
  if (lines.pop() !== '') problems.push('the JSONL does not end with a newline');
  lines.forEach((line, index) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      problems.push(`line ${index + 1} is not JSON`);
      return;
    }
    problems.push(...zodProblems(ChatLine, json, `line ${index + 1}`));
  });
  return problems;
}

export function checkCreate(request: ReceivedRequest): string[] {
  return [...authProblems(request), ...zodProblems(CreateJobBody, request.json, 'body')];
}

const load = (name: string) => loadResponse(`openai/${name}.json`);

export type Scenario = {
  files?: Partial<ReplayRoute>;
  create?: RecordedResponse[];
  /** Answers to DELETE /files/{id} of each upload; by default OpenAI's `deleted: true`. */
  deletes?: { training?: RecordedResponse[]; validation?: RecordedResponse[] };
  jobs: RecordedResponse[];
  events: RecordedResponse[];
  onRetrieve?: (request: ReceivedRequest) => void;
};

/** The routes of one recorded fine-tuning run; polls advance through `jobs` and `events` together. */
export async function fineTuneRoutes(scenario: Scenario): Promise<ReplayRoute[]> {
  const [trainUpload, validationUpload, created, cancelled, resultFile, trainDeleted, validationDeleted] =
    await Promise.all([
      load('file-upload-train'),
      load('file-upload-validation'),
      load('job-created'),
      load('job-cancelled'),
      load('result-file-content'),
      load('file-deleted-train'),
      load('file-deleted-validation'),
    ]);
  const jobPath = `/v1/fine_tuning/jobs/${recorded.jobId}`;
  return [
    {
      method: 'POST',
      path: '/v1/files',
      check: checkUpload,
      // OpenAI echoes the uploaded file name; answer each upload with its own recording.
      responses: (request) =>
        request.form?.files.file?.filename.endsWith('-validation.jsonl') ? validationUpload : trainUpload,
      ...scenario.files,
    },
    { method: 'POST', path: '/v1/fine_tuning/jobs', check: checkCreate, responses: scenario.create ?? [created] },
    {
      method: 'GET',
      path: jobPath,
      check: authProblems,
      responses: scenario.jobs,
      ...(scenario.onRetrieve ? { onRequest: scenario.onRetrieve } : {}),
    },
    { method: 'GET', path: `${jobPath}/events`, check: authProblems, responses: scenario.events },
    { method: 'POST', path: `${jobPath}/cancel`, check: authProblems, responses: [cancelled] },
    { method: 'GET', path: `/v1/files/${recorded.resultFile}/content`, check: authProblems, responses: [resultFile] },
    // Only the uploads can be deleted here: a DELETE of the result file gets the replay server's 404.
    {
      method: 'DELETE',
      path: `/v1/files/${recorded.trainingFile}`,
      check: authProblems,
      responses: scenario.deletes?.training ?? [trainDeleted],
    },
    {
      method: 'DELETE',
      path: `/v1/files/${recorded.validationFile}`,
      check: authProblems,
      responses: scenario.deletes?.validation ?? [validationDeleted],
    },
  ];
}

export { load as loadOpenAIResponse };
