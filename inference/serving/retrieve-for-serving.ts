import type { InferenceDependencies } from '../inference-dependencies.ts';
import { withConfiguredRetrieval } from '../retrieval/retrieval-from-config.ts';
import { type RetrieveOptions, retrieve } from '../retrieval/retrieve.ts';
import type { Serving } from './resolve-serving.ts';

/**
 * Retrieval for a request: over the serving feature set with its embedder, with the configured
 * retrieval settings (k, mode, candidates, expansions, MMR λ, per-category cap) under the request's
 * own values, the configured reranker and query LLM, recognising the known authors in the
 * question, and recording each stage's time in the metrics.
 */
export async function retrieveForServing(
  question: string,
  options: Omit<RetrieveOptions, 'authors'>,
  serving: Serving,
  dependencies: InferenceDependencies,
) {
  const { metrics } = dependencies;
  const authors = await dependencies.metadata.documents.listAuthors();
  const reranker = await dependencies.reranker();
  const { understanding } = dependencies;
  const retrieved = await retrieve(
    question,
    {
      ...withConfiguredRetrieval(dependencies.config.retrieval, options),
      authors: authors.map((author) => ({ id: author.id, name: author.name })),
    },
    {
      vectors: dependencies.vectors,
      featureSet: serving.featureSet,
      embedder: serving.embedder,
      logger: dependencies.logger,
      ...(reranker ? { reranker } : {}),
      ...(understanding ? { understanding } : {}),
    },
  );
  for (const [stage, milliseconds] of Object.entries(retrieved.timings)) {
    const labels = { stage: stage.replace(/Ms$/, '') };
    metrics.observe('twin_retrieval_stage_seconds', 'Retrieval time per stage', labels, milliseconds / 1000);
  }
  return { ...retrieved, authors };
}
