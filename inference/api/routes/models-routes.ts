import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../../../core/errors.ts';
import { checkGate, promoteModel, rollbackModel } from '../../../core/registry/promote-model.ts';
import { ModelVersion } from '../../../core/types/model-version.ts';
import type { InferenceDependencies } from '../../inference-dependencies.ts';
import type { ApiEnv } from '../api-env.ts';
import { requireKey } from '../require-key.ts';
import { ErrorResponse } from './error-response.ts';

const ModelAliasView = z.object({
  name: z.string(),
  alias: z.string(),
  version: z.number(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
const OpenAIModel = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number(),
  owned_by: z.string(),
});
const AliasMove = z
  .object({
    action: z.enum(['promote', 'rollback']),
    alias: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/)
      .default('production'),
    version: z.number().int().positive().optional(),
    gate: z.boolean().default(false),
    movedBy: z.string().min(1).max(100).optional(),
    reason: z.string().max(500).optional(),
  })
  .refine((body) => body.action === 'rollback' || body.version !== undefined, {
    message: 'version is required to promote',
    path: ['version'],
  });

/** The registry over HTTP: OpenAI's model list, our richer list, loss curves, and alias moves (admin). */
export function modelsRoutes(app: OpenAPIHono<ApiEnv>, dependencies: InferenceDependencies): void {
  const { metadata, config } = dependencies;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models',
      summary: 'OpenAI-compatible model list: every name, alias and version that can be asked for',
      responses: {
        200: {
          description: 'models',
          content: {
            'application/json': {
              schema: z.object({ object: z.literal('list'), data: z.array(OpenAIModel) }),
            },
          },
        },
      },
    }),
    async (context) => {
      const versions = await metadata.models.list();
      const aliases = await metadata.models.listAliases();
      const created = (iso: string) => Math.floor(Date.parse(iso) / 1000);
      const data = [
        ...aliases.map((alias) => ({
          id: alias.alias === 'production' ? alias.name : `${alias.name}@${alias.alias}`,
          object: 'model' as const,
          created: created(alias.updatedAt),
          owned_by: 'llm-twin',
        })),
        ...versions.map((version) => ({
          id: `${version.name}:${version.version}`,
          object: 'model' as const,
          created: created(version.createdAt),
          owned_by: version.createdBy,
        })),
      ];
      return context.json({ object: 'list' as const, data }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/models',
      summary: 'Model versions with lineage fields, metrics, loss curves and aliases',
      responses: {
        200: {
          description: 'registry',
          content: {
            'application/json': {
              schema: z.object({ versions: z.array(ModelVersion), aliases: z.array(ModelAliasView) }),
            },
          },
        },
      },
    }),
    async (context) =>
      context.json(
        { versions: await metadata.models.list(), aliases: await metadata.models.listAliases() },
        200,
      ),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/models/{name}/versions/{version}/loss-curve.svg',
      summary: 'The loss curve image the training backend stored for a version',
      request: {
        params: z.object({
          name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
          version: z.coerce.number().int().positive(),
        }),
      },
      responses: {
        200: { description: 'an SVG image', content: { 'image/svg+xml': { schema: z.string() } } },
        404: {
          description: 'no such version or no curve',
          content: { 'application/json': { schema: ErrorResponse } },
        },
      },
    }),
    async (context) => {
      const { name, version } = context.req.valid('param');
      const found = await metadata.models.get(name, version);
      if (!found) throw new NotFoundError(`model ${name}:${version} not found`);
      if (!found.lossCurveKey) throw new NotFoundError(`model ${name}:${version} has no stored loss curve`);
      const svg = await dependencies.artifacts.get(found.lossCurveKey);
      // The image comes from the artifact store, not from us: it may not run script or load anything,
      // even when opened directly rather than through an <img>. A version never changes, so it caches.
      return context.body(svg as Uint8Array<ArrayBuffer>, 200, {
        'content-type': 'image/svg+xml; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        'x-content-type-options': 'nosniff',
        'cache-control': 'public, max-age=86400',
      });
    },
  );
  app.use('/api/models/:name/aliases', requireKey(config.server.adminKeys, { always: true, role: 'admin' }));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/models/{name}/aliases',
      summary:
        'Promote a version to an alias (optionally gated) or roll the alias back: one atomic, audited move',
      security: [{ bearer: [] }],
      request: {
        params: z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/) }),
        body: { content: { 'application/json': { schema: AliasMove } }, required: true },
      },
      responses: {
        200: { description: 'the move', content: { 'application/json': { schema: z.any() } } },
        400: { description: 'refused', content: { 'application/json': { schema: ErrorResponse } } },
      },
    }),
    async (context) => {
      const { name } = context.req.valid('param');
      const body = context.req.valid('json');
      const movedBy = body.movedBy ?? 'api';
      if (body.action === 'rollback') {
        const event = await rollbackModel(metadata.models, {
          name,
          vectors: dependencies.vectors,
          alias: body.alias,
          movedBy,
          ...(body.reason ? { reason: body.reason } : {}),
        });
        return context.json({ event }, 200);
      }
      const version = body.version as number;
      if (body.gate) {
        const gate = await checkGate(metadata.models, {
          name,
          version,
          alias: body.alias,
          metric: config.promotionGate.metric,
          higherIsBetter: config.promotionGate.higherIsBetter,
        });
        if (!gate.passed) throw new ValidationError(`promotion refused by the gate: ${gate.reason}`);
      }
      const event = await promoteModel(metadata.models, {
        name,
        vectors: dependencies.vectors,
        version,
        alias: body.alias,
        movedBy,
        ...(body.reason ? { reason: body.reason } : {}),
      });
      return context.json({ event }, 200);
    },
  );
}
