/**
 * The `data` of each event of a `text/event-stream` body, in order (the WHATWG event-stream
 * format: lines end in CRLF, LF or CR; an event ends at a blank line; its `data:` lines are joined
 * with LF; comments and other fields are skipped). `onChunk` runs whenever bytes arrive, so a
 * caller can tell a slow stream from a dead one. Stopping early cancels the body.
 */
export async function* readSseData(
  body: ReadableStream<Uint8Array>,
  onChunk: () => void = () => {},
): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseDataParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk();
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.end(decoder.decode());
  } finally {
    await reader.cancel().catch(() => {});
  }
}

class SseDataParser {
  private buffer = '';
  private data: string[] = [];

  *push(text: string): Generator<string> {
    this.buffer += text;
    // A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
    const complete = this.buffer.endsWith('\r') ? this.buffer.length - 1 : this.buffer.length;
    const lines = this.buffer.slice(0, complete).split(/\r\n|\n|\r/);
    this.buffer = (lines.pop() ?? '') + this.buffer.slice(complete);
    for (const line of lines) yield* this.line(line);
  }

  *end(text: string): Generator<string> {
    const lines = (this.buffer + text).split(/\r\n|\n|\r/);
    this.buffer = '';
    for (const line of lines) yield* this.line(line);
    // Some servers end the last event without its blank line.
    yield* this.line('');
  }

  private *line(line: string): Generator<string> {
    if (line === '') {
      if (this.data.length > 0) yield this.data.join('\n');
      this.data = [];
    } else if (line === 'data' || line.startsWith('data:')) {
      const value = line.slice('data:'.length);
      this.data.push(value.startsWith(' ') ? value.slice(1) : value);
    }
  }
}
