import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { InferenceDependencies } from '../../inference-dependencies.ts';
import type { ApiEnv } from '../api-env.ts';

const Health = z.object({ status: z.literal('ok') });
const Ready = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string() })),
});

/** Liveness, readiness (stores reachable) and Prometheus metrics. */
export function healthRoutes(app: OpenAPIHono<ApiEnv>, dependencies: InferenceDependencies): void {
  const { metrics } = dependencies;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process answers',
      responses: { 200: { description: 'alive', content: { 'application/json': { schema: Health } } } },
    }),
    (context) => context.json({ status: 'ok' as const }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: the metadata store, the vector store and the job queue answer',
      responses: {
        200: { description: 'ready', content: { 'application/json': { schema: Ready } } },
        503: { description: 'a store is unreachable', content: { 'application/json': { schema: Ready } } },
      },
    }),
    async (context) => {
      const checks: Record<string, { ok: boolean; detail: string }> = {};
      const check = async (name: string, probe: () => Promise<string>) => {
        try {
          checks[name] = { ok: true, detail: await probe() };
        } catch (error) {
          checks[name] = { ok: false, detail: error instanceof Error ? error.message : String(error) };
        }
      };
      await check(
        'metadata',
        async () => `${(await dependencies.metadata.featureSets.list()).length} feature sets`,
      );
      await check('vectors', async () => {
        const sets = await dependencies.metadata.featureSets.list();
        const counts = await Promise.all(sets.map((set) => dependencies.vectors.count(set.id)));
        return `${counts.reduce((sum, count) => sum + count, 0)} vectors`;
      });
      await check('queue', () => dependencies.queue.ping());
      const ready = Object.values(checks).every((entry) => entry.ok);
      return context.json(
        { status: ready ? ('ready' as const) : ('not ready' as const), checks },
        ready ? 200 : 503,
      );
    },
  );
  app.get('/metrics', (context) =>
    context.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );
}
