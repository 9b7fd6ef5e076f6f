/**
 * At most `limit` examples, taken in turns from each source document (the first example of each
 * document in split order, then the second of each, and so on): a test split lists a document's
 * examples together, and a long document can have a dozen, so its first N would measure one
 * document, often one kind of example (all code, or all sections of one post). Deterministic: the
 * same split and limit give the same examples.
 */
export function spreadAcrossDocuments<T extends { sourceDocumentId: string }>(
  examples: readonly T[],
  limit: number,
): T[] {
  const byDocument = new Map<string, T[]>();
  for (const example of examples) {
    const queue = byDocument.get(example.sourceDocumentId);
    if (queue) queue.push(example);
    else byDocument.set(example.sourceDocumentId, [example]);
  }
  const queues = [...byDocument.values()];
  const picked: T[] = [];
  for (let round = 0; picked.length < limit && picked.length < examples.length; round++) {
    for (const queue of queues) {
      const example = queue[round];
      if (example !== undefined && picked.length < limit) picked.push(example);
    }
  }
  return picked;
}
