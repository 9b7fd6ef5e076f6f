import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { NotFoundError } from '../../../core/errors.ts';
import { CrawlSource } from '../../../core/jobs/job-contracts.ts';
import { submitIdempotentJob } from '../../../core/jobs/submit-job.ts';
import type { InferenceDependencies } from '../../inference-dependencies.ts';
import { admitCrawlTargets } from '../admit-crawl-targets.ts';
import type { ApiEnv } from '../api-env.ts';
import { requireKey } from '../require-key.ts';
import { ErrorResponse } from './error-response.ts';

const JobView = z.object({
  id: z.string(),
  queue: z.string(),
  name: z.string(),
  status: z.string(),
  progress: z.number(),
  progressMessage: z.string().nullable(),
  result: z.any(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
const CrawlRequest = z.object({
  targets: z.array(z.string().min(1).max(2048)).min(1).max(100),
  authorName: z.string().min(1).max(200),
  source: CrawlSource.optional(),
  buildFeatures: z
    .boolean()
    .default(true)
    .describe(
      'false: only fill the warehouse; no worker builds these changes until a feature build covers them',
    ),
});
const FineTuneRequest = z.object({
  datasetId: z.string().regex(/^ds_[0-9a-f]{12}$/),
  backend: z.string().min(1).default('local'),
  modelName: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
    .optional(),
  baseModel: z.string().min(1).nullable().default(null),
  parentVersion: z.number().int().positive().nullable().default(null),
  hyperparameters: z.record(z.string(), z.unknown()).default({}),
  requestedBy: z.string().min(1).max(100).default('api'),
});
const jobResponses = {
  202: {
    description: 'accepted',
    content: { 'application/json': { schema: JobView.extend({ reused: z.boolean() }) } },
  },
  400: { description: 'bad request', content: { 'application/json': { schema: ErrorResponse } } },
};

/** Jobs over HTTP: enqueue a crawl or a fine-tune through the JobQueue port, read any job (admin). */
export function jobsRoutes(app: OpenAPIHono<ApiEnv>, dependencies: InferenceDependencies): void {
  const { metadata, queue, config } = dependencies;
  const admin = requireKey(config.server.adminKeys, { always: true, role: 'admin' });
  app.use('/api/jobs/*', admin);
  app.use('/api/crawl', admin);
  app.use('/api/training/*', admin);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/jobs/{id}',
      summary: 'A job record: status, progress, result or error',
      security: [{ bearer: [] }],
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: {
        200: { description: 'the job', content: { 'application/json': { schema: JobView } } },
        404: { description: 'unknown job', content: { 'application/json': { schema: ErrorResponse } } },
      },
    }),
    async (context) => {
      const { id } = context.req.valid('param');
      const job = await metadata.jobs.get(id);
      if (!job) throw new NotFoundError(`job ${id} not found`);
      const { payload: _payload, attempts: _attempts, ...view } = job;
      return context.json(view, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/crawl',
      summary:
        'Enqueue a crawl (and the feature build for what it changes); local paths only inside server.crawlDirectories',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: CrawlRequest } }, required: true } },
      responses: jobResponses,
    }),
    async (context) => {
      const body = context.req.valid('json');
      // The API reads no server files unless the configuration allows a directory.
      const targets = await admitCrawlTargets(body.targets, config.server.crawlDirectories);
      const job = await queue.enqueue('feature.crawl', { ...body, targets });
      return context.json({ ...view(job), reused: false }, 202);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/training/jobs',
      summary: 'Submit a fine-tune job; the same request again returns the same job',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: FineTuneRequest } }, required: true } },
      responses: jobResponses,
    }),
    async (context) => {
      const body = context.req.valid('json');
      const { job, reused } = await submitIdempotentJob(
        { queue, jobs: metadata.jobs },
        'training.finetune',
        { ...body, modelName: body.modelName ?? config.fineTuneModelName },
        { prefix: 'ft', ignore: ['requestedBy'] },
      );
      return context.json({ ...view(job), reused }, 202);
    },
  );
}

function view(job: Awaited<ReturnType<InferenceDependencies['metadata']['jobs']['get']>> & object) {
  const { payload: _payload, attempts: _attempts, ...rest } = job;
  return rest;
}
