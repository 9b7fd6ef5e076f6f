import { serve } from '@hono/node-server';
import { Command } from 'commander';
import { ValidationError } from '../../core/errors.ts';
import { createApp } from '../../inference/api/create-app.ts';
import { withRuntime } from '../cli-context.ts';
import { apiDependencies } from './chat-command.ts';

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
        const { app, generators } = createApp(apiDependencies(runtime));
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
        // Runs until SIGINT/SIGTERM; in-flight requests finish, then the runtime closes its stores.
        await new Promise<void>((resolve) => {
          const stop = () => {
            server.close(() => resolve());
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await generators.close();
      });
    });
}
