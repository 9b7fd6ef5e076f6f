import * as tf from '@tensorflow/tfjs';
import type { LlamaModel } from './llama-model.ts';
import type { LoraRow } from './lora-rows.ts';

/**
 * The hidden states entering the first adapted block, kept per training row across steps and
 * epochs: the blocks below it are frozen, so a row's states there never change, and a row seen
 * again (every epoch after the first) runs only the adapted blocks. Kept as plain Float32Arrays
 * outside the wasm heap, which a training step already fills (SmolLM2: 2.3 KB per token, so the
 * sample author's whole train split is about 55 MB), up to `budgetBytes`; rows beyond the budget
 * are computed again each time they come. Packing makes no difference to a row's states (each
 * packed example attends only to itself, from position 0), so a pack's states are its rows'
 * cached states end to end, and its new rows are computed together in one packed pass.
 */
export class HiddenStateCache {
  private readonly states = new Map<LoraRow, Float32Array>();
  private storedBytes = 0;

  constructor(
    private readonly model: LlamaModel,
    /** The block the states enter (the adapters' first layer), above 0. */
    readonly layer: number,
    private readonly budgetBytes: number,
  ) {}

  /** Bytes held. */
  get bytes(): number {
    return this.storedBytes;
  }

  /** Rows whose states are held. */
  get size(): number {
    return this.states.size;
  }

  /**
   * The states [tokens, width] entering `layer` for `rows` packed end to end in this order: what
   * `model.hiddenBelow(tokens, layer, { segments })` gives for that pack. The caller disposes it.
   */
  forPack(rows: readonly LoraRow[]): tf.Tensor2D {
    const width = this.model.config.embeddingLength;
    const fresh = [...new Set(rows.filter((row) => !this.states.has(row)))];
    const computed = new Map<LoraRow, Float32Array>();
    if (fresh.length > 0) {
      const tokens = new Int32Array(fresh.reduce((sum, row) => sum + row.tokens.length, 0));
      let offset = 0;
      for (const row of fresh) {
        tokens.set(row.tokens, offset);
        offset += row.tokens.length;
      }
      const hidden = this.model.hiddenBelow(tokens, this.layer, {
        segments: fresh.map((row) => row.tokens.length),
      });
      const values = hidden.dataSync() as Float32Array;
      hidden.dispose();
      offset = 0;
      for (const row of fresh) {
        // A copy, not a view: a view would keep the whole pack's buffer alive.
        const state = values.slice(offset * width, (offset + row.tokens.length) * width);
        offset += row.tokens.length;
        computed.set(row, state);
        if (this.storedBytes + state.byteLength <= this.budgetBytes) {
          this.states.set(row, state);
          this.storedBytes += state.byteLength;
        }
      }
    }
    const length = rows.reduce((sum, row) => sum + row.tokens.length, 0);
    const packed = new Float32Array(length * width);
    let offset = 0;
    for (const row of rows) {
      packed.set((this.states.get(row) ?? computed.get(row)) as Float32Array, offset);
      offset += row.tokens.length * width;
    }
    return tf.tensor2d(packed, [length, width]);
  }

  clear(): void {
    this.states.clear();
    this.storedBytes = 0;
  }
}
