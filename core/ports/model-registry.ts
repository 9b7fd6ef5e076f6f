import type { AliasEvent, ModelVersion } from '../types/model-version.ts';

export type NewModelVersion = Omit<ModelVersion, 'version' | 'createdAt'>;

export type ModelAlias = {
  name: string;
  alias: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
};

/** Versioned models per name, aliases that point at versions, and the audit trail of every move. */
export interface ModelRegistry {
  /** Numbers the version (max + 1 for the name) and stores it in one transaction. */
  register(version: NewModelVersion): Promise<ModelVersion>;
  get(name: string, version: number): Promise<ModelVersion | null>;
  /** Versions of one model (newest first), or of every model. */
  list(name?: string): Promise<ModelVersion[]>;
  /** Merges metrics into a version (evaluation results). */
  updateMetrics(name: string, version: number, metrics: Record<string, number>): Promise<ModelVersion>;
  getAlias(name: string, alias: string): Promise<ModelAlias | null>;
  listAliases(name?: string): Promise<ModelAlias[]>;
  /**
   * Points an alias at a version (null removes it) and records the move, atomically. With
   * `expectedVersion`, the move only happens if the alias still points there (compare-and-set), so
   * two concurrent promotions cannot both win.
   */
  moveAlias(move: {
    name: string;
    alias: string;
    toVersion: number | null;
    movedBy: string;
    reason?: string | null;
    expectedVersion?: number | null;
  }): Promise<AliasEvent>;
  aliasHistory(name: string, alias?: string): Promise<AliasEvent[]>;
}
