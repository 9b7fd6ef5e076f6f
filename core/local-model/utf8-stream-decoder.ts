/**
 * Turns bytes arriving in arbitrary pieces into text without ever splitting a character: a
 * multi-byte UTF-8 sequence cut between two tokens (an emoji is often 2–4 byte-level tokens) is
 * held back until it is complete. Invalid bytes decode to U+FFFD, so every piece is valid text.
 */
export class Utf8StreamDecoder {
  private pending = new Uint8Array(0);
  private readonly decoder = new TextDecoder('utf-8');

  push(bytes: Uint8Array): string {
    const joined = new Uint8Array(this.pending.length + bytes.length);
    joined.set(this.pending);
    joined.set(bytes, this.pending.length);
    const complete = completePrefixLength(joined);
    this.pending = joined.slice(complete);
    return this.decoder.decode(joined.subarray(0, complete));
  }

  /** Ends the stream; an unfinished character at the very end is dropped rather than shown as U+FFFD. */
  finish(): string {
    this.pending = new Uint8Array(0);
    return '';
  }
}

/** Length of the longest prefix that does not end inside an unfinished multi-byte sequence. */
function completePrefixLength(bytes: Uint8Array): number {
  // A sequence is at most 4 bytes, so only the last 3 can belong to an unfinished one.
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
