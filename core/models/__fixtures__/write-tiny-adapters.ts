import { join } from 'node:path';
import { fileSha256 } from '../../hashing.ts';
import { readGgufHeader } from '../gguf/read-gguf-header.ts';
import { writeLoraAdapter } from '../gguf/write-lora-adapter.ts';
import { tinyGgufWordIds, writeTinyGguf } from './write-tiny-gguf.ts';

/** A file and its sha256. */
export type HashedFile = { path: string; sha256: string };

export type TinyAdapters = {
  /** The tiny model (it says "boring"), with "sunny" and "quiet" in its vocabulary but never said. */
  base: HashedFile;
  /** B = 0: adds nothing. */
  zero: HashedFile;
  /** Rank 1, alpha 1: the model says "sunny" instead. */
  sunny: HashedFile;
  /** Rank 2, alpha 1 (scale ½): the model says "quiet" instead. */
  quiet: HashedFile;
  /** How far the one likely token's logit leads every other: 64 / √(1 + ε). */
  lead: number;
};

/**
 * Writes the tiny base model and three LoRA adapters on its output head, whose effect is known in
 * advance. Every token reaches the head as n = d / √(1 + ε) (d alternates ±1, so |d|² = 16, and
 * the blocks add nothing; see writeTinyGguf), and the head's row of "boring" is 4d: "boring" leads
 * by L = 4·16 / √(1 + ε) = 64 / √(1 + ε). An adapter adds (alpha / rank)·B·A·n to the logits. With
 * each row of A = d, A·n is 16 / √(1 + ε) per rank, so B = −4 at "boring" and +4 at another word,
 * in each of the rank columns, moves exactly L from "boring" to that word: it now leads by L,
 * and "boring" falls to 0 with the rest. For "quiet" (rank 2, alpha 1) the two columns add 2L and
 * alpha / rank halves it, so the same L proves llama.cpp's alpha / rank scaling.
 */
export async function writeTinyAdapters(folder: string): Promise<TinyAdapters> {
  const words = ['boring', 'sunny', 'quiet'];
  const base = join(folder, 'tiny-base.gguf');
  await writeTinyGguf(base, { otherWords: words.slice(1) });
  const ids = tinyGgufWordIds(words);
  const head = (await readGgufHeader(base)).tensors.find((tensor) => tensor.name === 'output.weight');
  const [inputs, outputs] = head?.dimensions as [number, number];
  const d = Float32Array.from({ length: inputs }, (_, index) => (index % 2 === 0 ? 1 : -1));
  const adapter = async (name: string, rank: number, word: string | null): Promise<HashedFile> => {
    const a = new Float32Array(rank * inputs);
    for (let row = 0; row < rank; row++) a.set(d, row * inputs);
    // B is outputs × rank, row-major: the rank values of token t start at t · rank.
    const b = new Float32Array(outputs * rank);
    if (word)
      for (let column = 0; column < rank; column++) {
        b[(ids.boring as number) * rank + column] = -4;
        b[(ids[word] as number) * rank + column] = 4;
      }
    const path = join(folder, `${name}.lora.gguf`);
    await writeLoraAdapter(path, {
      architecture: 'llama',
      rank,
      alpha: 1,
      name,
      pairs: [{ target: 'output', inputs, outputs, a, b }],
    });
    return { path, sha256: await fileSha256(path) };
  };
  return {
    base: { path: base, sha256: await fileSha256(base) },
    zero: await adapter('zero', 1, null),
    sunny: await adapter('sunny', 1, 'sunny'),
    quiet: await adapter('quiet', 2, 'quiet'),
    lead: 64 / Math.sqrt(1 + 1e-5),
  };
}
