import { Command } from 'commander';
import { ServiceError, ValidationError } from '../../core/errors.ts';
import { createApp } from '../../inference/index.ts';
import { print, withRuntime } from '../cli-context.ts';

type StreamChunk = {
  model?: string;
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
  sources?: { index: number; title: string; url: string }[];
  twin?: { model_version: string; feature_set: string; generator: string; retrieved?: number };
};

export function chatCommand(): Command {
  return new Command('chat')
    .description('ask the twin a question; the answer streams to the terminal, followed by its sources')
    .argument('<question>', 'what to ask')
    .option('-m, --model <model>', 'twin (production), twin@ALIAS or twin:VERSION', 'twin')
    .option('--url <url>', 'ask a running `twin serve` at this base URL instead of answering in this process')
    .option('--api-key <key>', 'bearer key for --url (default: the first of server.apiKeys)')
    .option('--max-tokens <n>', 'longest answer', (value) => Number(value), 256)
    .option('--temperature <t>', 'sampling temperature', (value) => Number(value), 0.7)
    .action(async function (
      this: Command,
      question: string,
      options: { model: string; url?: string; apiKey?: string; maxTokens: number; temperature: number },
    ) {
      if (!Number.isInteger(options.maxTokens) || options.maxTokens < 1)
        throw new ValidationError('--max-tokens must be a positive integer');
      const body = JSON.stringify({
        model: options.model,
        messages: [{ role: 'user', content: question }],
        stream: true,
        max_tokens: options.maxTokens,
        temperature: options.temperature,
      });
      if (options.url) {
        const key = options.apiKey;
        const response = await fetch(`${options.url.replace(/\/$/, '')}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body,
        });
        await printStream(response);
        return;
      }
      await withRuntime(
        this,
        async (runtime) => {
          const { app } = createApp(runtime.inference);
          const key = options.apiKey ?? runtime.config.server.apiKeys[0];
          const response = await app.request('/v1/chat/completions', {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(key ? { authorization: `Bearer ${key}` } : {}),
            },
            body,
          });
          await printStream(response);
        },
        { everyCore: true },
      );
    });
}

/** Prints an OpenAI-style SSE stream as it arrives, then the sources and what answered. */
export async function printStream(response: Response): Promise<void> {
  if (!response.ok || !response.body) {
    const text = await response.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {}
    throw new ServiceError(`chat failed (${response.status}): ${message}`);
  }
  const decoder = new TextDecoder();
  let buffer = '';
  let first: StreamChunk | null = null;
  const reader = response.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    buffer += decoder.decode(read.value, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      if (!data || data === '[DONE]') continue;
      const chunk = JSON.parse(data) as StreamChunk;
      first ??= chunk;
      const piece = chunk.choices?.[0]?.delta?.content;
      if (piece) process.stdout.write(piece);
    }
  }
  process.stdout.write('\n');
  if (first?.sources?.length) {
    print('\nSources:');
    for (const source of first.sources) print(`  [${source.index}] ${source.title} — ${source.url}`);
  } else if (first?.twin?.retrieved) {
    print(
      `\n(${first.twin.retrieved} passages were retrieved, but none fit in this model's context window: the answer is not grounded in them)`,
    );
  }
  if (first?.twin)
    print(
      `\n(answered by ${first.twin.model_version} via ${first.twin.generator}, features ${first.twin.feature_set})`,
    );
}
