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
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk();
      buffer += decoder.decode(value, { stream: true });
      // A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
      const complete = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
      const lines = buffer.slice(0, complete).split(/\r\n|\n|\r/);
      buffer = (lines.pop() ?? '') + buffer.slice(complete);
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line === 'data' || line.startsWith('data:')) {
          const value = line.slice('data:'.length);
          data.push(value.startsWith(' ') ? value.slice(1) : value);
        }
      }
    }
    buffer += decoder.decode();
    if (buffer.startsWith('data:')) data.push(buffer.slice('data:'.length).trimStart());
    // Some servers end the last event without its blank line.
    if (data.length > 0) yield data.join('\n');
  } finally {
    await reader.cancel().catch(() => {});
  }
}
