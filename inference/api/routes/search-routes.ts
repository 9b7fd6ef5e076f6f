import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { ChunkPayload } from '../../../core/types/chunk.ts';
import type { InferenceDependencies } from '../../inference-dependencies.ts';
import { RetrievalFilters } from '../../retrieval/retrieval-filters.ts';
import { resolveServing, type Serving } from '../../serving/resolve-serving.ts';
import { retrieveForServing } from '../../serving/retrieve-for-serving.ts';
import type { ApiEnv } from '../api-env.ts';
import { recordRequest } from '../record-request.ts';
import { requireKey } from '../require-key.ts';
import { ErrorResponse } from './error-response.ts';

const SearchRequest = z.object({
  query: z.string().min(1).max(4000),
  /** Default: the configured retrieval.k. */
  k: z.number().int().min(1).max(50).optional(),
  /** Whose feature set to search: `twin` (production), `twin@staging`, `twin:3`. */
  model: z.string().min(1).optional(),
  filters: RetrievalFilters.optional(),
  /** Default: the configured retrieval.mode. */
  mode: z.enum(['hybrid', 'dense', 'keyword']).optional(),
  selfQuery: z.boolean().default(true),
});
const SearchResult = z.object({
  id: z.string(),
  payload: ChunkPayload,
  scores: z.object({
    dense: z.number().nullable(),
    keyword: z.number().nullable(),
    fused: z.number(),
    rerank: z.number().nullable(),
  }),
});

/** Retrieval only, with the filters it applied and how long each stage took. */
export function searchRoutes(app: OpenAPIHono<ApiEnv>, dependencies: InferenceDependencies): void {
  app.use('/api/search', requireKey(dependencies.config.server.apiKeys, { always: false, role: 'api' }));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/search',
      summary: 'Hybrid retrieval over the serving feature set, with stage timings',
      request: { body: { content: { 'application/json': { schema: SearchRequest } }, required: true } },
      responses: {
        200: {
          description: 'results',
          content: {
            'application/json': {
              schema: z.object({
                model: z.string().nullable(),
                featureSetId: z.string(),
                filters: z.any(),
                queries: z.array(z.string()),
                results: z.array(SearchResult),
                timings: z.record(z.string(), z.number()),
              }),
            },
          },
        },
        400: { description: 'bad request', content: { 'application/json': { schema: ErrorResponse } } },
      },
    }),
    async (context) => {
      const body = context.req.valid('json');
      const started = performance.now();
      const route = '/api/search';
      let serving: Serving;
      try {
        serving = await resolveServing(dependencies, body.model);
      } catch (error) {
        await recordRequest(dependencies, {
          route,
          question: body.query,
          started,
          model: body.model ?? null,
          error,
        });
        throw error;
      }
      const retrieved = await retrieveForServing(
        body.query,
        {
          k: body.k,
          mode: body.mode,
          selfQuery: body.selfQuery,
          ...(body.filters ? { filters: body.filters } : {}),
        },
        serving,
        dependencies,
      );
      await recordRequest(dependencies, {
        route,
        question: body.query,
        started,
        model: serving.version ? `${serving.version.name}:${serving.version.version}` : null,
        featureSetId: serving.featureSet.id,
        filters: retrieved.filters as Record<string, unknown>,
        retrieved: retrieved.chunks.map((chunk) => ({
          chunkId: chunk.id,
          documentId: chunk.payload.documentId,
          score: chunk.scores.fused,
        })),
        timings: retrieved.timings,
      });
      return context.json(
        {
          model: serving.version ? `${serving.version.name}:${serving.version.version}` : null,
          featureSetId: serving.featureSet.id,
          filters: retrieved.filters,
          queries: retrieved.queries,
          results: retrieved.chunks.map((chunk) => ({
            id: chunk.id,
            payload: chunk.payload,
            scores: {
              dense: chunk.scores.dense ?? null,
              keyword: chunk.scores.keyword ?? null,
              fused: chunk.scores.fused,
              rerank: chunk.scores.rerank ?? null,
            },
          })),
          timings: retrieved.timings,
        },
        200,
      );
    },
  );
}
