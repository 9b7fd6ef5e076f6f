let lastSequence = 0;

/** Ordering key for append-only rows: milliseconds scaled up, plus a per-process counter for ties. */
export function nextSequence(): number {
  lastSequence = Math.max(lastSequence + 1, Date.now() * 1000);
  return lastSequence;
}
