import type { QdrantClient } from '@qdrant/js-client-rest';
import { errorMessage, ServiceError, TwinError } from '../../errors.ts';
import { withNote } from './qdrant-errors.ts';
import type { QdrantRequests } from './qdrant-requests.ts';
import { AliasList } from './qdrant-responses.ts';

/** The collection alias production serves from, and how it is moved without being lost. */
export class ServingAlias {
  constructor(
    private readonly client: QdrantClient,
    private readonly requests: QdrantRequests,
    readonly name: string,
  ) {}

  /** The collection the alias points at, or null when it is not set. */
  async collection(): Promise<string | null> {
    const { aliases } = await this.requests.read('list aliases', AliasList, () => this.client.getAliases());
    return aliases.find((entry) => entry.alias_name === this.name)?.collection_name ?? null;
  }

  /** Points the alias at a collection the caller has just checked exists. */
  async pointAt(target: string): Promise<void> {
    const previous = await this.collection();
    if (previous === target) return;
    // One request: while Qdrant applies it, readers see the old collection or the new one.
    const actions = [
      ...(previous === null ? [] : [{ delete_alias: { alias_name: this.name } }]),
      { create_alias: { collection_name: target, alias_name: this.name } },
    ];
    try {
      await this.requests.call(`point alias ${this.name} at ${target}`, () =>
        this.client.updateCollectionAliases({ actions }),
      );
    } catch (error) {
      if (previous === null || !(error instanceof TwinError)) throw error;
      await this.recover(previous, target, error);
    }
  }

  /**
   * After a failed switch. Qdrant applies and saves the actions one by one without rolling back,
   * so the deletion can be saved and the creation refused (its collection dropped in between),
   * leaving serving without an alias; or the switch went through and only its answer was lost.
   * Puts the old alias back in the first case, returns in the second, and rethrows otherwise.
   */
  private async recover(previous: string, target: string, failure: TwinError): Promise<void> {
    let current: string | null;
    try {
      current = await this.collection();
    } catch (error) {
      throw withNote(
        failure,
        `and the serving alias could not be read back to check it: ${errorMessage(error)}`,
      );
    }
    if (current === target) return;
    if (current !== null) throw failure;
    const restore = [{ create_alias: { collection_name: previous, alias_name: this.name } }];
    try {
      await this.requests.call(`restore alias ${this.name} to ${previous}`, () =>
        this.client.updateCollectionAliases({ actions: restore }),
      );
    } catch (error) {
      throw new ServiceError(
        `serving alias ${this.name} is gone: ${failure.message}; putting it back on ${previous} failed too: ${errorMessage(error)}`,
        { cause: failure },
      );
    }
    throw withNote(failure, `serving alias ${this.name} was put back on ${previous}`);
  }
}
