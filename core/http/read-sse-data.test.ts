import { describe, expect, it } from 'vitest';
import { readSseData } from './read-sse-data.ts';

/** A body that arrives in the given pieces, each its own chunk. */
function body(...pieces: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces)
        controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>, onChunk?: () => void): Promise<string[]> {
  const seen: string[] = [];
  for await (const data of readSseData(stream, onChunk)) seen.push(data);
  return seen;
}

describe('readSseData', () => {
  it('yields the data of each event, skipping comments, other fields and events without data', async () => {
    expect(
      await all(body(': ping\n\nevent: message\nid: 7\ndata: one\n\nretry: 10\n\ndata: two\n\n')),
    ).toEqual(['one', 'two']);
  });

  it('joins multi-line data with LF and strips one leading space only', async () => {
    expect(await all(body('data:  indented\ndata:second\ndata\n\n'))).toEqual([' indented\nsecond\n']);
  });

  it('reads CRLF, LF and CR line ends, even when a CRLF is cut between two chunks', async () => {
    expect(await all(body('data: a\r', '\n\r', '\ndata: b\r\rdata: c\n\n'))).toEqual(['a', 'b', 'c']);
  });

  it('keeps a character whose bytes are cut between chunks whole', async () => {
    const bytes = new TextEncoder().encode('data: Ada’s\n\n');
    const cut = bytes.indexOf(0xe2) + 1;
    expect(await all(body(bytes.slice(0, cut), bytes.slice(cut)))).toEqual(['Ada’s']);
  });

  it('yields a last event the server did not end with a blank line, without its line end', async () => {
    expect(await all(body('data: first\n\ndata: [DONE]\r'))).toEqual(['first', '[DONE]']);
  });

  it('says when bytes arrive, once per chunk', async () => {
    let chunks = 0;
    await all(body('data: a\n', '\n', 'data: b\n\n'), () => {
      chunks++;
    });
    expect(chunks).toBe(3);
  });

  it('cancels the body when the reader stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: again\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const data of readSseData(stream)) {
      expect(data).toBe('again');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
