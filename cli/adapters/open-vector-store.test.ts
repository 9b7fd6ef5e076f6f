import { describe, expect, it } from 'vitest';
import { QdrantVectorStore } from '../../core/adapters/qdrant/qdrant-vector-store.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { ServiceError } from '../../core/errors.ts';
import { closedPortUrl } from '../../core/http/__fixtures__/closed-port-url.ts';
import { openVectorStore } from './open-vector-store.ts';

describe('openVectorStore', () => {
  it('opens the Qdrant adapter for stores.vectors.driver qdrant, at the configured URL', async () => {
    const url = await closedPortUrl();
    const config = loadConfig({ env: { TWIN_ENV: 'production', TWIN_STORES__VECTORS__URL: url } });
    const store = openVectorStore(config, null);
    expect(store).toBeInstanceOf(QdrantVectorStore);
    const error = await store.servingFeatureSet().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as Error).message).toContain(`cannot reach Qdrant at ${url}`);
    await store.close();
  });
});
