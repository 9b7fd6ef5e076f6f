import { readSseData } from '../../core/http/read-sse-data.ts';
import type { ChatTiming } from './chat-timing.ts';

/** What the twin's stream said besides the answer: the passages it was given and how long retrieval took. */
export type StreamedChatCompletion = ChatTiming & {
  sources: { chunkId: string }[];
  retrievalTimings: Record<string, number>;
};

type Chunk = {
  choices?: { delta?: { content?: string } }[];
  usage?: { prompt_tokens: number; completion_tokens: number };
  sources?: { chunkId: string }[];
  twin?: { timings?: Record<string, number> };
};

/**
 * POSTs a streaming chat completion (usage requested) and reads the SSE stream to its end, timing
 * the first and last events that carry answer text from the moment the request was sent. Fails on
 * anything but 2xx, a stream without `[DONE]`, or one without usage.
 */
export async function streamChatCompletion(url: string, body: object): Promise<StreamedChatCompletion> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || !response.body)
    throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  let firstTokenMs: number | null = null;
  let lastTokenMs = 0;
  let done = false;
  const pieces: string[] = [];
  let usage: Chunk['usage'];
  let sources: StreamedChatCompletion['sources'] = [];
  let retrievalTimings: Record<string, number> = {};
  for await (const data of readSseData(response.body)) {
    const now = performance.now() - started;
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data) as Chunk;
    if (chunk.sources) sources = chunk.sources;
    if (chunk.twin?.timings) retrievalTimings = chunk.twin.timings;
    if (chunk.usage) usage = chunk.usage;
    const content = chunk.choices?.[0]?.delta?.content;
    if (content) {
      firstTokenMs ??= now;
      lastTokenMs = now;
      pieces.push(content);
    }
  }
  const totalMs = performance.now() - started;
  if (!done) throw new Error(`${url}: the stream ended without [DONE]`);
  if (firstTokenMs === null) throw new Error(`${url}: the stream carried no answer text`);
  if (!usage) throw new Error(`${url}: the stream carried no usage`);
  return {
    firstTokenMs,
    lastTokenMs,
    totalMs,
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    text: pieces.join(''),
    sources,
    retrievalTimings,
  };
}
