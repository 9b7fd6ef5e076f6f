import { describe, expect, it } from 'vitest';
import { dot, runEmbedderContract } from './embedder-contract.ts';
import { UseLiteEmbedder } from './use-lite-embedder.ts';

runEmbedderContract('UseLiteEmbedder', () => UseLiteEmbedder.create({ maxBatchSize: 3 }));

describe('UseLiteEmbedder', () => {
  it('names the model package version and gives 512-d vectors that capture meaning', async () => {
    const embedder = await UseLiteEmbedder.create({ maxBatchSize: 32 });
    try {
      expect(embedder.id).toBe('use-lite@0.2.0');
      expect(embedder.dimensions).toBe(512);
      expect(embedder.maxBatchSize).toBe(32);
      const [cat, kitten, tax] = await embedder.embed([
        'The cat is sleeping on the sofa.',
        'A kitten naps on the couch.',
        'Quarterly tax filings are due next month.',
      ]);
      expect(dot(cat!, kitten!)).toBeGreaterThan(dot(cat!, tax!) + 0.2);
    } finally {
      await embedder.close();
    }
  });

  it('embeds whitespace-only text rather than failing', async () => {
    const embedder = await UseLiteEmbedder.create({ maxBatchSize: 32 });
    try {
      const [vector] = await embedder.embed(['   ']);
      expect(vector).toHaveLength(512);
    } finally {
      await embedder.close();
    }
  });
});
