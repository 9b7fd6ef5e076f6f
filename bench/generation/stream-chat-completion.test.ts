import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { streamChatCompletion } from './stream-chat-completion.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const event = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const delta = (content: string) => ({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** Serves one SSE reply written in the given pieces, 20 ms apart; resolves with the URL and the bodies received. */
async function serveSse(pieces: string[], status = 200) {
  const bodies: unknown[] = [];
  server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    bodies.push(JSON.parse(text));
    response.writeHead(status, { 'content-type': 'text/event-stream' });
    for (const piece of pieces) {
      response.write(piece);
      await sleep(20);
    }
    response.end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, bodies };
}

describe('streamChatCompletion', () => {
  it('asks for a stream with usage and reads answer, usage, sources and timings from the events', async () => {
    const first = event({
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      sources: [{ chunkId: 'c1' }, { chunkId: 'c2' }],
      twin: { timings: { embedMs: 3, totalMs: 5 } },
    });
    const hello = event(delta('Hel'));
    const { url, bodies } = await serveSse([
      first,
      // One event split across two writes, then two events in one write.
      hello.slice(0, 10),
      hello.slice(10),
      event(delta('lo')) + event({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }),
      event({ choices: [], usage: { prompt_tokens: 42, completion_tokens: 3, total_tokens: 45 } }),
      event('[DONE]'),
    ]);
    const streamed = await streamChatCompletion(url, { model: 'twin', messages: [], max_tokens: 3 });
    expect(bodies).toEqual([
      { model: 'twin', messages: [], max_tokens: 3, stream: true, stream_options: { include_usage: true } },
    ]);
    expect(streamed).toMatchObject({
      text: 'Hello',
      promptTokens: 42,
      completionTokens: 3,
      sources: [{ chunkId: 'c1' }, { chunkId: 'c2' }],
      retrievalTimings: { embedMs: 3, totalMs: 5 },
    });
    expect(streamed.lastTokenMs).toBeGreaterThanOrEqual(streamed.firstTokenMs);
    expect(streamed.totalMs).toBeGreaterThanOrEqual(streamed.lastTokenMs);
  });

  it('fails on a stream cut before [DONE], one without usage, and an error status', async () => {
    const cut = await serveSse([event(delta('Hi'))]);
    await expect(streamChatCompletion(cut.url, {})).rejects.toThrow('the stream ended without [DONE]');
    await new Promise((resolve) => server?.close(resolve));

    const noUsage = await serveSse([event(delta('Hi')), event('[DONE]')]);
    await expect(streamChatCompletion(noUsage.url, {})).rejects.toThrow('the stream carried no usage');
    await new Promise((resolve) => server?.close(resolve));

    const refused = await serveSse(['{"error":{"message":"unknown model"}}'], 404);
    await expect(streamChatCompletion(refused.url, {})).rejects.toThrow(
      /answered 404: \{"error":\{"message":"unknown model"\}\}/,
    );
  });
});
