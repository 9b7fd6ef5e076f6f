import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,feature,training,inference,cli,datasets,bench}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The embedder and sqlite are CPU-bound; two forks match the two cores of the build machines.
    pool: 'forks',
    maxWorkers: 2,
  },
});
