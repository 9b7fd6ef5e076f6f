import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runArtifactStoreContract } from '../../contracts/artifact-store-contract.ts';
import { LocalArtifactStore } from './local-artifact-store.ts';

runArtifactStoreContract(
  'local folder',
  async () => new LocalArtifactStore(mkdtempSync(join(tmpdir(), 'twin-artifacts-'))),
);
