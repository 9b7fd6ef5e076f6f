import { randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../../../core/errors.ts';
import type { BatchResult } from '../../../core/jobs/job-contracts.ts';
import { BatchLine } from '../../batch/run-batch.ts';
import type { InferenceDependencies } from '../../inference-dependencies.ts';
import type { ApiEnv } from '../api-env.ts';
import { requireKey } from '../require-key.ts';
import { ErrorResponse } from './error-response.ts';

const BatchRequest = z.object({
  prompts: z.array(BatchLine).min(1).max(1000),
  model: z.string().min(1).default('twin'),
  max_tokens: z.number().int().min(1).max(4096).default(256),
  temperature: z.number().min(0).max(2).default(0.7),
});

/** Batch inference as a job: submit prompts, poll the job, fetch the results JSONL. */
export function batchRoutes(app: OpenAPIHono<ApiEnv>, dependencies: InferenceDependencies): void {
  const { artifacts, queue, metadata } = dependencies;
  app.use('/api/batch', requireKey(dependencies.config.server.apiKeys, { always: false, role: 'api' }));
  app.use('/api/batch/*', requireKey(dependencies.config.server.apiKeys, { always: false, role: 'api' }));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/batch',
      summary:
        'Run a list of prompts as a batch job; results are a JSONL of answers with sources and model version',
      request: { body: { content: { 'application/json': { schema: BatchRequest } }, required: true } },
      responses: {
        202: {
          description: 'accepted',
          content: {
            'application/json': {
              schema: z.object({ jobId: z.string(), status: z.string(), results: z.string() }),
            },
          },
        },
        400: { description: 'bad request', content: { 'application/json': { schema: ErrorResponse } } },
      },
    }),
    async (context) => {
      const body = context.req.valid('json');
      const folder = `batches/${randomUUID()}`;
      await artifacts.put(
        `${folder}/input.jsonl`,
        `${body.prompts.map((line) => JSON.stringify(line)).join('\n')}\n`,
      );
      const job = await queue.enqueue('inference.batch', {
        inputKey: `${folder}/input.jsonl`,
        outputKey: `${folder}/results.jsonl`,
        model: body.model,
        maxTokens: body.max_tokens,
        temperature: body.temperature,
      });
      return context.json(
        { jobId: job.id, status: job.status, results: `/api/batch/${job.id}/results` },
        202,
      );
    },
  );
  const ResultsParams = z.object({ id: z.string().min(1).max(200) });
  // Documented here but served by a plain route: the typed route helper reads any
  // application/*json* media type other than JSON itself (x-ndjson) as "no response possible".
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: '/api/batch/{id}/results',
      summary: 'The results JSONL of a finished batch job',
      request: { params: ResultsParams },
      responses: {
        200: {
          description: 'JSONL, one result per prompt',
          content: { 'application/x-ndjson': { schema: z.string() } },
        },
        404: { description: 'unknown batch', content: { 'application/json': { schema: ErrorResponse } } },
        409: { description: 'not finished', content: { 'application/json': { schema: ErrorResponse } } },
      },
    }),
  );
  app.get('/api/batch/:id/results', async (context) => {
    const params = ResultsParams.safeParse(context.req.param());
    if (!params.success) throw new ValidationError('invalid request: id: a batch id is 1 to 200 characters');
    const { id } = params.data;
    const job = await metadata.jobs.get(id);
    if (job?.name !== 'inference.batch') throw new NotFoundError(`batch ${id} not found`);
    if (job.status !== 'completed') {
      if (job.status === 'failed' || job.status === 'cancelled') {
        throw new ValidationError(`batch ${id} ${job.status}: ${job.error ?? ''}`);
      }
      return context.json(
        {
          error: {
            message: `batch ${id} is ${job.status} (${Math.round(job.progress * 100)}%)`,
            type: 'invalid_request_error',
            param: null,
            code: 'not_ready',
          },
        },
        409,
      );
    }
    const result = job.result as BatchResult;
    return new Response(Buffer.from(await artifacts.get(result.outputKey)), {
      headers: { 'content-type': 'application/x-ndjson' },
    });
  });
}
