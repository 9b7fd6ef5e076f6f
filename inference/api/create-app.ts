import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import type { InferenceDependencies } from '../inference-dependencies.ts';
import type { ApiEnv } from './api-env.ts';
import { errorBody, handleError } from './api-error.ts';
import { rateLimit } from './rate-limit.ts';
import { batchRoutes } from './routes/batch-routes.ts';
import { chatRoutes } from './routes/chat-routes.ts';
import { embeddingsRoutes } from './routes/embeddings-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { jobsRoutes } from './routes/jobs-routes.ts';
import { modelsRoutes } from './routes/models-routes.ts';
import { searchRoutes } from './routes/search-routes.ts';
import { webUiRoutes } from './routes/web-ui-routes.ts';

/**
 * The inference pipeline's HTTP API over the dependencies it is given (built by the composition
 * root; it registers no jobs and owns nothing it must close). Every request body is validated by
 * its zod schema (which also generates /openapi.json); errors are OpenAI-shaped JSON from one handler.
 */
export function createApp(dependencies: InferenceDependencies) {
  const { config, logger, metrics } = dependencies;
  const app = new OpenAPIHono<ApiEnv>({
    // Schema failures answer in OpenAI's error shape, naming every offending field.
    defaultHook: (result, context) => {
      if (result.success) return;
      const issues = result.error.issues.map(
        (issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`,
      );
      const param = result.error.issues[0]?.path.join('.') || null;
      return context.json(
        errorBody(`invalid request: ${issues.join('; ')}`, 'invalid_request_error', 'invalid_value', param),
        400,
      );
    },
  });

  app.use('*', async (context, next) => {
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = context.res.status;
    } catch (error) {
      status = error instanceof HTTPException ? error.status : 500;
      throw error;
    } finally {
      // Label by the matched route pattern, not the raw path, so ids do not explode cardinality.
      const route = context.req.routePath || 'unmatched';
      const labels = { method: context.req.method, route, status: String(status) };
      metrics.increment('twin_http_requests_total', 'HTTP requests by route and status', labels);
      metrics.observe(
        'twin_http_request_duration_seconds',
        'HTTP request latency',
        { method: labels.method, route },
        (performance.now() - started) / 1000,
      );
    }
  });
  if (config.server.corsOrigins.length > 0) {
    app.use(
      '*',
      cors({
        origin: config.server.corsOrigins,
        allowHeaders: ['authorization', 'content-type'],
        maxAge: 600,
      }),
    );
  }
  app.use(
    '*',
    bodyLimit({
      maxSize: config.server.bodyLimitBytes,
      onError: () => {
        throw new HTTPException(413, {
          message: `request body larger than ${config.server.bodyLimitBytes} bytes`,
        });
      },
    }),
  );
  app.use('/v1/*', rateLimit(config.server.rateLimitPerMinute));
  app.use('/api/*', rateLimit(config.server.rateLimitPerMinute));

  healthRoutes(app, dependencies);
  modelsRoutes(app, dependencies);
  embeddingsRoutes(app, dependencies);
  jobsRoutes(app, dependencies);
  searchRoutes(app, dependencies);
  chatRoutes(app, dependencies);
  batchRoutes(app, dependencies);
  // The chat and models pages, served by this same app (static files, no build server).
  webUiRoutes(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'LLM Twin API',
      version: '0.1.0',
      description: 'Retrieval + generation over the twin’s versioned features and models.',
    },
  });
  app.notFound((context) =>
    context.json(
      errorBody(
        `no route for ${context.req.method} ${context.req.path}`,
        'invalid_request_error',
        'not_found',
      ),
      404,
    ),
  );
  app.onError((error, context) => handleError(error, context, logger));
  return { app, metrics };
}
