import { ValidationError } from '../../core/errors.ts';
import type { ChatMessage } from '../../core/ports/generator.ts';
import type { InferenceDependencies } from '../inference-dependencies.ts';
import { resolveServing, type Serving } from './resolve-serving.ts';
import { retrieveForServing } from './retrieve-for-serving.ts';

/** What a question arrives as: OpenAI chat messages (text parts joined) for a model reference. */
export type AnswerInput = {
  model: string;
  messages: {
    role: 'system' | 'developer' | 'user' | 'assistant';
    content: string | { type: 'text'; text: string }[];
  }[];
};

export type PreparedAnswer = Awaited<ReturnType<typeof prepareAnswer>>;

/**
 * Everything before generation, shared by chat, streaming and batch: resolve the serving version
 * and feature set, retrieve for the last user message, pick the generator and build its prompt
 * within its token budget. `sources` are exactly the passages the prompt includes.
 */
export async function prepareAnswer(
  body: AnswerInput,
  dependencies: InferenceDependencies,
  /** Serve this instead of resolving `body.model` (evaluations compare named versions). */
  given?: Serving,
) {
  const { generators, template, metrics } = dependencies;
  const serving: Serving = given ?? (await resolveServing(dependencies, body.model));
  const turns = body.messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => part.text).join('\n'),
  })) as ChatMessage[];
  const lastUser = turns.map((turn) => turn.role).lastIndexOf('user');
  if (lastUser < 0) throw new ValidationError('messages must contain a user message');
  const question = (turns[lastUser] as ChatMessage).content.trim();
  if (!question) throw new ValidationError('the last user message is empty');
  const history = turns.slice(0, lastUser).filter((turn) => turn.role !== 'system');

  const retrieved = await retrieveForServing(question, {}, serving, dependencies);
  const authors = retrieved.authors;
  const generator = await generators.get(serving.version);
  const authorName = await authorOf(dependencies, serving, authors);
  const prompt = template.buildMessages(
    {
      authorName,
      question,
      history,
      sources: retrieved.chunks.map((chunk) => ({
        title: chunk.payload.title,
        url: chunk.payload.url,
        text: chunk.payload.text,
        chunk,
      })),
      ...(serving.version ? { modelName: serving.version.name } : {}),
    },
    generator.promptBudget,
  );
  const modelLabel = serving.version
    ? `${serving.version.name}:${serving.version.version}`
    : `${dependencies.config.server.modelName} (no model registered)`;
  metrics.set(
    'twin_serving_model_info',
    'The version each model name serves (value 1)',
    { name: body.model, version: modelLabel },
    1,
  );
  return {
    serving,
    generator,
    generatorId: generator.id,
    modelLabel,
    messages: prompt.messages,
    grounding: prompt.grounding,
    timings: retrieved.timings,
    question,
    filters: retrieved.filters as Record<string, unknown>,
    retrieved: retrieved.chunks.map((chunk) => ({
      chunkId: chunk.id,
      documentId: chunk.payload.documentId,
      score: chunk.scores.fused,
    })),
    sources: prompt.sources.map((included) => ({
      index: included.number,
      title: included.source.title,
      url: included.source.url,
      documentId: included.source.chunk.payload.documentId,
      chunkId: included.source.chunk.id,
      platform: included.source.chunk.payload.platform,
      score: included.source.chunk.scores.fused,
    })),
  };
}

/** The author the serving version learnt from (its dataset's author), else the only author. */
async function authorOf(
  dependencies: InferenceDependencies,
  serving: Serving,
  authors: { id: string; name: string }[],
): Promise<string> {
  const datasetId = serving.version?.datasetId;
  const dataset = datasetId ? await dependencies.metadata.datasets.get(datasetId) : null;
  const authorId = dataset?.recipe.authorId ?? (authors.length === 1 ? authors[0]?.id : undefined);
  return authors.find((author) => author.id === authorId)?.name ?? 'the author';
}
