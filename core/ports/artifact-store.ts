/** Keeps binary artifacts (checkpoints, datasets, images) under slash-separated keys. */
export interface ArtifactStore {
  put(key: string, data: Uint8Array | string): Promise<{ key: string; bytes: number; sha256: string }>;
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** Where a user can find the artifact (a local path or a URL). */
  locate(key: string): string;
  close(): Promise<void>;
}
