import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../../../core/errors.ts';
import { cleanQuery } from '../../../core/features/clean-text.ts';
import { assertEmbedderMatches, embedTexts } from '../../../core/features/embed-texts.ts';
import { resolveModel } from '../../../core/registry/resolve-model.ts';
import type { InferenceDependencies } from '../../inference-dependencies.ts';
import type { ApiEnv } from '../api-env.ts';
import { requireKey } from '../require-key.ts';
import { ErrorResponse } from './error-response.ts';

const EmbeddingsRequest = z.object({
  input: z.union([z.string(), z.array(z.string()).min(1).max(256)]),
  /** A registered model (`twin`, `twin@staging`, `twin:3`): its feature set's embedder is used. */
  model: z.string().min(1),
  encoding_format: z.enum(['float', 'base64']).default('float'),
  user: z.string().optional(),
});

/**
 * OpenAI-compatible embeddings with the serving feature set's embedder: any OpenAI client can embed
 * text exactly as the twin's features were embedded (same cleaning, same model).
 */
export function embeddingsRoutes(app: OpenAPIHono<ApiEnv>, dependencies: InferenceDependencies): void {
  app.use('/v1/embeddings', requireKey(dependencies.config.server.apiKeys, { always: false, role: 'api' }));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/embeddings',
      summary: 'OpenAI-compatible embeddings with the feature set the named model serves',
      request: { body: { content: { 'application/json': { schema: EmbeddingsRequest } }, required: true } },
      responses: {
        200: { description: 'embeddings', content: { 'application/json': { schema: z.any() } } },
        400: { description: 'bad request', content: { 'application/json': { schema: ErrorResponse } } },
        404: { description: 'unknown model', content: { 'application/json': { schema: ErrorResponse } } },
      },
    }),
    async (context) => {
      const body = context.req.valid('json');
      const reference = body.model === 'twin' ? dependencies.config.server.modelName : body.model;
      const version = await resolveModel(dependencies.metadata.models, reference);
      if (!version.featureSetId)
        throw new ValidationError(`${version.name}:${version.version} records no feature set`);
      const featureSet = await dependencies.metadata.featureSets.get(version.featureSetId);
      if (!featureSet) throw new NotFoundError(`feature set ${version.featureSetId} not found`);
      const embedder = await dependencies.embedder();
      assertEmbedderMatches(featureSet, embedder);
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      const cleaned = inputs.map((text, index) => {
        const clean = cleanQuery(text);
        if (!clean) throw new ValidationError(`input[${index}] is empty after cleaning`);
        return clean;
      });
      const vectors = await embedTexts(embedder, cleaned);
      const tokens = cleaned.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
      return context.json(
        {
          object: 'list',
          model: `${version.name}:${version.version}`,
          data: vectors.map((vector, index) => ({
            object: 'embedding',
            index,
            embedding:
              body.encoding_format === 'base64'
                ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
                : Array.from(vector),
          })),
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        },
        200,
      );
    },
  );
}
