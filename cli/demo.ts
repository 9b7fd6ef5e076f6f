import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { zipSync } from 'fflate';
import { stringify } from 'yaml';
import { loadConfig } from '../core/config/load-config.ts';
import { createLogger } from '../core/logger.ts';
import { makeSampleRepository } from '../datasets/sample-author/make-sample-repo.ts';
import { sampleAuthor, sampleAuthorDirectory } from '../datasets/sample-author/sample-author.ts';
import { startSampleSites } from '../datasets/sample-author/serve-sample-sites.ts';
import { createApp } from '../inference/index.ts';
import { main } from './main.ts';
import { openRuntime } from './runtime.ts';

/**
 * `npm run demo`: the quick start on the embedded defaults. Serves the sample author's sites on
 * 127.0.0.1, crawls every kind of source through the real `twin` commands, builds features and
 * answers a search. The data stays in the data folder for further `npx twin` commands.
 */
const dataDir = resolve(loadConfig().dataDir);
const sites = await startSampleSites();
const step = (text: string) => process.stdout.write(`\n\x1b[1m▶ ${text}\x1b[0m\n`);

try {
  mkdirSync(dataDir, { recursive: true });
  // The sample sites live on loopback, which the crawler refuses by default; the demo allows it
  // explicitly, and points the dev.to crawler at the local replay of its API.
  const demoConfig = join(dataDir, 'demo.yaml');
  writeFileSync(
    demoConfig,
    stringify({
      crawler: { allowLoopback: true, perHostDelayMs: 0, devtoApiBase: sites.urls.devtoApiBase },
      // A fine-tune of a base model is judged by the perplexity of the author's held-out answers:
      // deterministic and measured on every token, where ROUGE-L on three generated answers is noise.
      training: { gate: { metric: 'perplexity', higherIsBetter: false } },
      // Three passages instead of five: each grounded answer reads a prompt half as long, which on
      // two cores is most of its time.
      retrieval: { k: 3 },
    }),
  );
  const repository = await makeSampleRepository(join(dataDir, 'sample-repo'));
  const archive = join(dataDir, 'linkedin-export.zip');
  writeFileSync(archive, zipFolder(join(sampleAuthorDirectory, 'linkedin-export')));

  const twin = async (...args: string[]) => {
    process.stdout.write(
      `\n$ twin ${args.map((arg) => (/\s/.test(arg) ? JSON.stringify(arg) : arg)).join(' ')}\n`,
    );
    const code = await main(['node', 'twin', '--config', demoConfig, ...args]);
    if (code !== 0) throw new Error(`twin ${args[0]} exited with ${code}`);
  };
  /** A step whose refusal is part of the story (a gate that says no); true when it succeeded. */
  const twinMayRefuse = async (...args: string[]): Promise<boolean> => {
    process.stdout.write(
      `\n$ twin ${args.map((arg) => (/\s/.test(arg) ? JSON.stringify(arg) : arg)).join(' ')}\n`,
    );
    return (await main(['node', 'twin', '--config', demoConfig, ...args])) === 0;
  };

  /** Runs a command and returns what it printed, for the steps that need an id from the output. */
  const capture = async (...args: string[]): Promise<string> => {
    const write = process.stdout.write.bind(process.stdout);
    let output = '';
    process.stdout.write = ((chunk: string | Uint8Array) => {
      output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
    try {
      const code = await main(['node', 'twin', '--config', demoConfig, ...args]);
      if (code !== 0) throw new Error(`twin ${args.join(' ')} exited with ${code}`);
    } finally {
      process.stdout.write = write;
    }
    return output;
  };

  step(`Sample sites for ${sampleAuthor.name} are served at ${sites.baseUrl}`);
  step('Crawl the blog through its RSS feed (robots.txt keeps /private/ out)');
  await twin('crawl', sites.urls.blogFeed, '--author', sampleAuthor.name);
  step('Crawl Medium, Substack and dev.to');
  await twin('crawl', sites.urls.mediumFeed, '--author', sampleAuthor.name, '--source', 'medium');
  await twin('crawl', sites.urls.substackFeed, '--author', sampleAuthor.name, '--source', 'substack');
  await twin('crawl', sites.urls.devtoProfile, '--author', sampleAuthor.name, '--source', 'devto');
  step('Crawl a git repository and import a LinkedIn data-export archive');
  await twin('crawl', repository, '--author', sampleAuthor.name);
  await twin('crawl', archive, '--author', sampleAuthor.name);
  step('Crawl the blog again: nothing changed, so nothing is recomputed');
  await twin('crawl', sites.urls.blogFeed, '--author', sampleAuthor.name);
  step('The versioned feature set');
  await twin('features', 'list');
  step('Ask the feature store a question');
  await twin('search', 'How do I stop training-serving skew?', '-k', '3');

  step(
    'The base model: SmolLM2-135M-Instruct (Apache-2.0), pulled once into the model cache and hash-checked',
  );
  const pulled = await twinMayRefuse('models', 'pull', 'smollm2-135m-instruct');
  if (pulled) {
    step(
      'Before any training, the twin answers with the base model, grounded in retrieved passages, with citations',
    );
    await twin(
      'chat',
      'Why did rolling back the ranking model that recommended cat food take forty minutes?',
      '--max-tokens',
      '120',
      '--temperature',
      '0',
    );
  } else {
    process.stdout.write(
      '\nNo base model could be pulled (the reason is above): the demo carries on with the small local model alone.\n',
    );
  }

  step('Training: an instruction dataset from the cleaned documents (offline generator, no LLM)');
  const built = await capture('datasets', 'build', '--json');
  const datasetId = (JSON.parse(built) as { id: string }).id;
  await twin('datasets', 'show', datasetId, '--examples', '2');
  if (pulled) {
    step(
      'Fine-tune SmolLM2 with LoRA in TypeScript on the CPU (demo preset: 6 steps of 2 examples, the top 20 of 30 layers), written as a llama.cpp adapter and registered as a new version',
    );
    await twin(
      'train',
      '--dataset',
      datasetId,
      '--backend',
      'lora',
      ...[
        'preset=demo',
        // `twin eval` measures the held-out perplexity next; a loss point per step shows the curve.
        'validation=none',
        'evalEvery=1',
      ].flatMap((setting) => ['--set', setting]),
    );
  } else {
    step(
      'Fine-tune the small local twin from scratch on CPU (demo preset), the fallback without a base model',
    );
    await twin('train', '--dataset', datasetId, '--backend', 'local', '--set', 'steps=200');
  }
  const versions = JSON.parse(await capture('models', 'list', 'twin', '--json')) as {
    versions: { version: number }[];
  };
  const latest = Math.max(...versions.versions.map((entry) => entry.version));
  step(
    'Evaluate it on the held-out split beside its baseline, then promote it only if it beats the baseline on held-out perplexity (the gate)',
  );
  await twinMayRefuse(
    'eval',
    `twin:${latest}`,
    '--dataset',
    datasetId,
    '--limit',
    '2',
    '--max-tokens',
    '60',
    '--gate',
  );
  step('Lineage: model → dataset → feature set → source documents');
  await twin('models', 'lineage', `twin:${latest}`);
  step('Serve the twin and ask it a question through the OpenAI-compatible API (streamed)');
  const runtime = await openRuntime(
    loadConfig({ file: demoConfig, overrides: { logLevel: 'warn' } }),
    createLogger({ level: 'warn' }),
  );
  const { app } = createApp(runtime.inference);
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await twin(
      'chat',
      'What do you think about rolling back models?',
      '--url',
      url,
      '--max-tokens',
      '120',
      '--temperature',
      '0',
    );
    process.stdout.write(
      `\nThe API served ${url}/v1/chat/completions (OpenAPI at ${url}/openapi.json); the same server has a web UI at ${url}/ (chat) and ${url}/models (versions, lineage, metrics, loss curves).\n`,
    );
  } finally {
    server.close();
    await runtime.close();
  }
  step('Done');
  process.stdout.write(
    `Data is in ${dataDir}. Try:\n  npx twin chat "How do you version data?"\n  npx twin serve   # web UI at http://127.0.0.1:8787/ (chat) and /models; API docs at /openapi.json\n  npx twin search "rollback" --platform linkedin\n  npx twin models lineage twin\n  npx twin models history twin\n`,
  );
} finally {
  await sites.close();
}

function zipFolder(folder: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const child = join(path, name);
      if (statSync(child).isDirectory()) walk(child);
      else files[relative(folder, child).split('\\').join('/')] = readFileSync(child);
    }
  };
  walk(folder);
  return zipSync(files);
}
