import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { PairHeap } from './pair-heap.ts';

/** The special tokens, in id order: they take ids 0–4, before the 256 byte tokens. */
export const specialTokenNames = ['<|pad|>', '<|bos|>', '<|eos|>', '<|user|>', '<|assistant|>'] as const;
export type SpecialTokenName = (typeof specialTokenNames)[number];

export const specialTokens = { pad: 0, bos: 1, eos: 2, user: 3, assistant: 4 } as const;

const firstByteId = specialTokenNames.length;
const firstMergeId = firstByteId + 256;
/** Smallest useful vocabulary: specials and the 256 bytes, no merge. */
export const minimumVocabSize = firstMergeId;
export const maximumVocabSize = 65_536;
/** Pieces longer than this are cut, so encoding stays linear on pathological input (long runs, base64). */
const maxPieceBytes = 128;

/**
 * GPT-2's pre-tokenisation: merges never cross a word, number, punctuation or whitespace run.
 * Whitespace before the last character of a run stays alone, so "    return" gives "   " + " return"
 * and code indentation becomes its own reusable tokens.
 */
const piecePattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export const BpeTokenizerJson = z.object({
  format: z.literal('byte-bpe'),
  version: z.literal(1),
  specialTokens: z.array(z.string()),
  /** Merge i joins tokens merges[2i] and merges[2i+1] into token `261 + i`. */
  merges: z.array(z.number().int().nonnegative()),
});
export type BpeTokenizerJson = z.infer<typeof BpeTokenizerJson>;

export type BpeTrainingOptions = {
  /** Total vocabulary including specials and bytes; training stops earlier when no pair repeats. */
  vocabSize: number;
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
};

/**
 * Byte-level BPE: any string encodes (UTF-8 bytes are the base alphabet) and decodes back exactly.
 * `encode` never produces special tokens, even for text that spells one: only the chat format
 * places them, so a user cannot forge `<|eos|>` or a turn marker.
 */
export class BpeTokenizer {
  readonly vocabSize: number;
  private readonly merges: Int32Array;
  private readonly ranks = new Map<number, number>();
  private readonly bytesOf: Uint8Array[];
  private readonly cache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();

  private constructor(merges: Int32Array) {
    this.merges = merges;
    this.bytesOf = [];
    for (const name of specialTokenNames) this.bytesOf.push(this.encoder.encode(name));
    for (let byte = 0; byte < 256; byte++) this.bytesOf.push(Uint8Array.of(byte));
    for (let rank = 0; rank < merges.length / 2; rank++) {
      const left = merges[2 * rank] as number;
      const right = merges[2 * rank + 1] as number;
      this.ranks.set(pairKey(left, right), rank);
      const leftBytes = this.bytesOf[left] as Uint8Array;
      const rightBytes = this.bytesOf[right] as Uint8Array;
      const joined = new Uint8Array(leftBytes.length + rightBytes.length);
      joined.set(leftBytes);
      joined.set(rightBytes, leftBytes.length);
      this.bytesOf.push(joined);
    }
    this.vocabSize = this.bytesOf.length;
  }

  /**
   * Learns merges from a corpus. Pair counts are kept up to date incrementally: a merge touches
   * only the words that contain its pair, and a lazy max-heap finds the next best pair, so a few
   * hundred KB train in well under a second instead of recounting the corpus per merge.
   * Ties go to the pair with the smaller ids, which makes training deterministic.
   */
  static train(corpus: Iterable<string>, options: BpeTrainingOptions): BpeTokenizer {
    const { vocabSize } = options;
    const minFrequency = options.minFrequency ?? 2;
    if (!Number.isInteger(vocabSize) || vocabSize < minimumVocabSize || vocabSize > maximumVocabSize) {
      throw new ValidationError(
        `vocabSize must be an integer in [${minimumVocabSize}, ${maximumVocabSize}], got ${vocabSize}`,
      );
    }
    const encoder = new TextEncoder();
    const frequencies = new Map<string, number>();
    for (const text of corpus) {
      for (const piece of splitPieces(text)) frequencies.set(piece, (frequencies.get(piece) ?? 0) + 1);
    }
    // Sorted so that word order, and with it every tie, does not depend on corpus order.
    const pieces = [...frequencies.keys()].sort();
    const words: number[][] = [];
    const counts: number[] = [];
    for (const piece of pieces) {
      for (const chunk of chunkBytes(encoder.encode(piece))) {
        words.push(Array.from(chunk, (byte) => byte + firstByteId));
        counts.push(frequencies.get(piece) as number);
      }
    }

    const pairCounts = new Map<number, number>();
    const pairWords = new Map<number, Set<number>>();
    const heap = new PairHeap();
    const addPairs = (word: number, symbols: number[], sign: 1 | -1, changed: Set<number>) => {
      const weight = sign * (counts[word] as number);
      for (let index = 0; index + 1 < symbols.length; index++) {
        const key = pairKey(symbols[index] as number, symbols[index + 1] as number);
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + weight);
        changed.add(key);
        if (sign > 0) {
          const holders = pairWords.get(key);
          if (holders) holders.add(word);
          else pairWords.set(key, new Set([word]));
        }
      }
    };
    const initial = new Set<number>();
    words.forEach((symbols, word) => {
      addPairs(word, symbols, 1, initial);
    });
    for (const key of initial) heap.push(pairCounts.get(key) as number, key);

    const merges: number[] = [];
    while (firstMergeId + merges.length / 2 < vocabSize && heap.size > 0) {
      const top = heap.pop();
      // Lazy deletion: an entry whose count has changed since it was pushed is stale.
      if (pairCounts.get(top.key) !== top.count) continue;
      if (top.count < minFrequency) break;
      const left = Math.floor(top.key / maximumVocabSize);
      const right = top.key % maximumVocabSize;
      const merged = firstMergeId + merges.length / 2;
      merges.push(left, right);
      const changed = new Set<number>();
      for (const word of pairWords.get(top.key) ?? []) {
        const symbols = words[word] as number[];
        const next = mergePair(symbols, left, right, merged);
        if (next.length === symbols.length) continue;
        addPairs(word, symbols, -1, changed);
        addPairs(word, next, 1, changed);
        words[word] = next;
      }
      pairWords.delete(top.key);
      for (const key of changed) {
        const count = pairCounts.get(key) as number;
        if (count > 0) heap.push(count, key);
        else pairCounts.delete(key);
      }
    }
    return new BpeTokenizer(Int32Array.from(merges));
  }

  static fromJSON(input: unknown): BpeTokenizer {
    const parsed = BpeTokenizerJson.safeParse(input);
    if (!parsed.success) throw new ValidationError(`invalid tokenizer JSON: ${parsed.error.message}`);
    const json = parsed.data;
    if (json.specialTokens.join(' ') !== specialTokenNames.join(' ')) {
      throw new ValidationError(`tokenizer special tokens ${json.specialTokens.join(' ')} are not ours`);
    }
    if (json.merges.length % 2 !== 0) throw new ValidationError('tokenizer merges must come in pairs');
    for (let index = 0; index < json.merges.length; index++) {
      const id = json.merges[index] as number;
      // A merge may only join tokens that exist before it.
      if (id < firstByteId || id >= firstMergeId + Math.floor(index / 2)) {
        throw new ValidationError(`tokenizer merge ${Math.floor(index / 2)} refers to unknown token ${id}`);
      }
    }
    return new BpeTokenizer(Int32Array.from(json.merges));
  }

  toJSON(): BpeTokenizerJson {
    return {
      format: 'byte-bpe',
      version: 1,
      specialTokens: [...specialTokenNames],
      merges: Array.from(this.merges),
    };
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of splitPieces(text)) {
      const cached = this.cache.get(piece);
      if (cached) {
        for (const id of cached) ids.push(id);
        continue;
      }
      const pieceIds: number[] = [];
      for (const chunk of chunkBytes(this.encoder.encode(piece))) pieceIds.push(...this.encodeBytes(chunk));
      // Bounded: generation and long corpora should not grow it without limit.
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(piece, pieceIds);
      for (const id of pieceIds) ids.push(id);
    }
    return ids;
  }

  decode(ids: readonly number[], options: { skipSpecial?: boolean } = {}): string {
    return new TextDecoder().decode(this.bytes(ids, options));
  }

  /** The raw bytes of tokens (specials are skipped by default); for streaming decoders. */
  bytes(ids: readonly number[], options: { skipSpecial?: boolean } = {}): Uint8Array {
    const skipSpecial = options.skipSpecial ?? true;
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      if (skipSpecial && this.isSpecial(id)) continue;
      const part = this.bytesOf[id];
      if (!part) throw new ValidationError(`token id ${id} is outside the vocabulary (${this.vocabSize})`);
      parts.push(part);
      length += part.length;
    }
    const joined = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  }

  isSpecial(id: number): boolean {
    return id >= 0 && id < firstByteId;
  }

  /** How each token reads, for debugging and tests. */
  tokenText(id: number): string {
    return new TextDecoder().decode(this.bytesOf[id] ?? new Uint8Array());
  }

  private encodeBytes(chunk: Uint8Array): number[] {
    let symbols = Array.from(chunk, (byte) => byte + firstByteId);
    while (symbols.length > 1) {
      let bestRank = Number.POSITIVE_INFINITY;
      for (let index = 0; index + 1 < symbols.length; index++) {
        const rank = this.ranks.get(pairKey(symbols[index] as number, symbols[index + 1] as number));
        if (rank !== undefined && rank < bestRank) bestRank = rank;
      }
      if (bestRank === Number.POSITIVE_INFINITY) break;
      const left = this.merges[2 * bestRank] as number;
      const right = this.merges[2 * bestRank + 1] as number;
      symbols = mergePair(symbols, left, right, firstMergeId + bestRank);
    }
    return symbols;
  }
}

function pairKey(left: number, right: number): number {
  return left * maximumVocabSize + right;
}

/** Replaces each non-overlapping (left, right), scanning left to right, with `merged`. */
function mergePair(symbols: number[], left: number, right: number, merged: number): number[] {
  const next: number[] = [];
  for (let index = 0; index < symbols.length; index++) {
    if (symbols[index] === left && symbols[index + 1] === right) {
      next.push(merged);
      index++;
    } else {
      next.push(symbols[index] as number);
    }
  }
  return next;
}

/** Splits text into pre-tokenisation pieces that concatenate back to exactly the input. */
export function splitPieces(text: string): string[] {
  const pieces: string[] = [];
  let end = 0;
  for (const match of text.matchAll(piecePattern)) {
    // The pattern covers every character; this guard keeps the round trip exact regardless.
    if (match.index > end) pieces.push(text.slice(end, match.index));
    pieces.push(match[0]);
    end = match.index + match[0].length;
  }
  if (end < text.length) pieces.push(text.slice(end));
  return pieces;
}

function chunkBytes(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length <= maxPieceBytes) return [bytes];
  const chunks: Uint8Array[] = [];
  for (let start = 0; start < bytes.length; start += maxPieceBytes) {
    chunks.push(bytes.subarray(start, start + maxPieceBytes));
  }
  return chunks;
}
