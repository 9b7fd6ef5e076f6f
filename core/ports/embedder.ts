/** Turns texts into vectors. Implementations must embed a text identically whatever batch it is in. */
export interface Embedder {
  /** Stable identifier of the model and its configuration; part of every feature set id. */
  readonly id: string;
  readonly dimensions: number;
  /** Largest batch the engine accepts in one call; callers split bigger inputs. */
  readonly maxBatchSize: number;
  /** Unit-length vectors, one per text, in input order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
