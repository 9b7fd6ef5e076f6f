import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * Opens the file a pull writes into. Pulls take it as an option because a full disk cannot be
 * made on demand in a test; the test passes one that fails as a full disk does.
 */
export type OpenDestination = (path: string) => Writable;

export const openFileDestination: OpenDestination = (path) => createWriteStream(path);
