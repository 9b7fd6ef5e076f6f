import type { Server } from 'node:http';
import { type ServerType, serve } from '@hono/node-server';
import { Command } from 'commander';
import { ValidationError } from '../../core/errors.ts';
import { createApp } from '../../inference/index.ts';
import { withRuntime } from '../cli-context.ts';
import { waitForStopSignal } from '../wait-for-stop-signal.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'start the HTTP API (OpenAI-compatible /v1 routes, admin /api routes, /metrics, /openapi.json)',
    )
    .option('--host <host>', 'address to listen on (default: server.host)')
    .option('--port <port>', 'port to listen on (default: server.port; 0 = any free port)')
    .action(async function (this: Command, options: { host?: string; port?: string }) {
      const port = options.port === undefined ? undefined : Number(options.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        throw new ValidationError(`--port must be a port number, got "${options.port}"`);
      }
      await withRuntime(this, async (runtime) => {
        // Listen for the stop signals before loading anything, so a SIGTERM while the reranker
        // loads still takes the graceful path (and exit code 0) instead of Node's default kill.
        const signalled = waitForStopSignal();
        try {
          // Load the configured cross-encoder now: a broken model folder fails `twin serve`
          // at start-up with the folder's problem, not the first request with a 500.
          await runtime.inference.reranker();
          const { app } = createApp(runtime.inference);
          const hostname = options.host ?? runtime.config.server.host;
          const server = serve({ fetch: app.fetch, hostname, port: port ?? runtime.config.server.port });
          await new Promise<void>((resolve, reject) => {
            server.once('listening', resolve);
            server.once('error', reject);
          });
          const address = server.address();
          const bound = typeof address === 'object' && address ? address.port : port;
          process.stdout.write(
            `LLM Twin API listening on http://${hostname}:${bound} (OpenAPI: /openapi.json)\n`,
          );
          const signal = await signalled.promise;
          runtime.logger.info('stopping: finishing in-flight requests', { signal });
          await closeGracefully(server);
          runtime.logger.info('stopped');
        } finally {
          signalled.dispose();
        }
      });
    });
}

/** How long in-flight requests (a long streamed answer) get to finish after SIGINT/SIGTERM. */
const shutdownGraceMs = 10_000;

/**
 * Stops accepting connections and closes idle keep-alive ones at once (clients such as the
 * openai package pool them), lets requests in flight finish, and cuts whatever is still open
 * after the grace period so a stuck client cannot hold the shutdown forever.
 */
async function closeGracefully(server: ServerType): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const http = server as Partial<Server>;
  http.closeIdleConnections?.();
  const timer = setTimeout(() => http.closeAllConnections?.(), shutdownGraceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
