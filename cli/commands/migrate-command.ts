import { Command } from 'commander';
import { openMetadataStore } from '../adapters/open-metadata-store.ts';
import { configFor, print } from '../cli-context.ts';
import { formatTable } from '../format-table.ts';

/**
 * `twin migrate`: brings the metadata store's schema up to date and says what it applied;
 * `--status` only lists the migrations. Every other command also migrates on start-up; this one
 * lets a deployment run them once, before its workers start.
 */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description('apply pending metadata-store migrations (SQLite or PostgreSQL); --status lists them')
    .option('--status', 'list migrations and whether each is applied, change nothing')
    .option('--json', 'print JSON')
    .action(async function (this: Command, options: { status?: boolean; json?: boolean }) {
      const config = configFor(this);
      const opened = await openMetadataStore(config, { migrate: false });
      try {
        const store = describeStore(config);
        if (options.status) {
          const migrations = await opened.metadata.migrations();
          if (options.json) {
            print(JSON.stringify({ store, migrations }, null, 2));
            return;
          }
          print(`metadata store: ${store}`);
          print(
            formatTable(
              ['migration', 'applied at'],
              migrations.map((migration) => [migration.name, migration.appliedAt ?? 'pending']),
            ),
          );
          return;
        }
        const applied = await opened.metadata.migrate();
        if (options.json) {
          print(JSON.stringify({ store, applied }, null, 2));
          return;
        }
        print(
          applied.length === 0
            ? `metadata store ${store} is up to date`
            : `applied ${applied.length} migration(s) to ${store}:\n${applied.map((name) => `  ${name}`).join('\n')}`,
        );
      } finally {
        await opened.close();
      }
    });
}

function describeStore(config: ReturnType<typeof configFor>): string {
  const selected = config.stores.metadata;
  if (selected.driver === 'sqlite') return `sqlite ${selected.path}`;
  const url = new URL(selected.url);
  return `postgres ${url.host}${url.pathname} schema ${selected.schema}`;
}
