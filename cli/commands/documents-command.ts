import { Command, Option } from 'commander';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { Category, Platform } from '../../core/types/category.ts';
import { removeDocument } from '../../feature/index.ts';
import { print, withRuntime } from '../cli-context.ts';
import { formatTable } from '../format-table.ts';

export function documentsCommand(): Command {
  const documents = new Command('documents').description('inspect and remove documents in the warehouse');
  documents
    .command('list')
    .description('list stored documents')
    .option('-a, --author <id>', 'only this author id')
    .addOption(new Option('-p, --platform <platform>', 'only this platform').choices(Platform.options))
    .addOption(new Option('-c, --category <category>', 'only this category').choices(Category.options))
    .option(
      '--not-seen-since <date>',
      'only documents no crawl has seen since this date (gone from their feed)',
    )
    .option('-n, --limit <n>', 'at most this many', (value) => positiveInteger(value, '--limit'), 100)
    .option('--json', 'print JSON')
    .action(async function (
      this: Command,
      options: {
        author?: string;
        platform?: Platform;
        category?: Category;
        notSeenSince?: string;
        limit: number;
        json?: boolean;
      },
    ) {
      const notSeenSince = options.notSeenSince ? isoDate(options.notSeenSince) : undefined;
      await withRuntime(this, async (runtime) => {
        const filter = {
          authorId: options.author,
          platform: options.platform,
          category: options.category,
          notSeenSince,
        };
        const [rows, total] = await Promise.all([
          runtime.metadata.documents.list(filter, { limit: options.limit }),
          runtime.metadata.documents.count(filter),
        ]);
        if (options.json) {
          print(
            JSON.stringify(
              rows.map(({ content: _content, ...rest }) => rest),
              null,
              2,
            ),
          );
          return;
        }
        print(
          formatTable(
            ['id', 'author', 'platform', 'category', 'title', 'published', 'last seen', 'chars'],
            rows.map((row) => [
              row.id,
              row.authorId,
              row.platform,
              row.category,
              row.title,
              row.publishedAt?.slice(0, 10),
              row.lastSeenAt.slice(0, 10),
              row.content.length,
            ]),
            48,
          ),
        );
        print(`${rows.length} of ${total} documents`);
      });
    });
  documents
    .command('show')
    .description('show one document with its metadata, content and the feature sets that hold it')
    .argument('<id>', 'document id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string, options: { json?: boolean }) {
      await withRuntime(this, async (runtime) => {
        const document = await runtime.metadata.documents.get(id);
        if (!document) throw new NotFoundError(`document ${id} not found (see \`twin documents list\`)`);
        const featureSets = await runtime.metadata.featureSets.featureSetsOf(id);
        const chunks = await Promise.all(
          featureSets.map(async (featureSet) => ({
            featureSet,
            chunks: (await runtime.vectors.listDocumentPoints(featureSet, id)).length,
          })),
        );
        if (options.json) {
          print(JSON.stringify({ ...document, features: chunks }, null, 2));
          return;
        }
        const { content, metadata, ...fields } = document;
        for (const [key, value] of Object.entries(fields)) print(`${key.padEnd(14)} ${value ?? '—'}`);
        print(`${'metadata'.padEnd(14)} ${JSON.stringify(metadata)}`);
        print(
          `${'features'.padEnd(14)} ${chunks.map((entry) => `${entry.featureSet} (${entry.chunks} chunks)`).join(', ') || '—'}`,
        );
        print(`\n${content}`);
      });
    });
  documents
    .command('remove')
    .description('remove documents from the warehouse together with their features in every feature set')
    .argument('<ids...>', 'document ids')
    .action(async function (this: Command, ids: string[]) {
      await withRuntime(this, async (runtime) => {
        for (const id of ids) {
          const removed = await removeDocument(id, runtime);
          print(
            `removed ${removed.documentId} and ${removed.vectors} vectors from ${removed.featureSets.length} feature set(s)`,
          );
        }
      });
    });
  return documents;
}

export function positiveInteger(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new ValidationError(`${flag} must be a positive integer, got "${value}"`);
  return parsed;
}

function isoDate(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new ValidationError(`not a date: "${value}" (use e.g. 2026-05-01)`);
  return new Date(time).toISOString();
}
