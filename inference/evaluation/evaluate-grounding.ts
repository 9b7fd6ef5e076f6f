import { type GroundingScore, scoreGrounding } from '../../core/evaluation/grounding.ts';
import { collectStream } from '../../core/models/collect-stream.ts';
import type { ModelVersion } from '../../core/types/model-version.ts';
import type { InferenceDependencies } from '../inference-dependencies.ts';
import { prepareAnswer } from '../serving/prepare-answer.ts';
import { type Serving, servingFor } from '../serving/resolve-serving.ts';

export type GroundedAnswer = {
  question: string;
  answer: string;
  /** The passages the prompt numbered, by number. */
  sources: { number: number; title: string; url: string }[];
  score: GroundingScore;
};

export type GroundingEvaluation = {
  /** Mean over the questions of each answer's groundedness (see core/evaluation/grounding.ts). */
  groundedness: number;
  /** All answers' valid citations over all their citations; 1 when none cites anything. */
  citationValidity: number;
  answers: GroundedAnswer[];
};

/**
 * Asks `version` (null: the extractive answerer) each question exactly as the API would (retrieval,
 * the prompt within the model's budget, generation, citation checking) and scores the answers'
 * grounding in the passages each was given.
 */
export async function evaluateGrounding(
  dependencies: InferenceDependencies,
  version: ModelVersion | null,
  questions: readonly string[],
  options: {
    maxTokens: number;
    temperature: number;
    progress?: (done: number, total: number) => void;
    signal?: AbortSignal;
  },
): Promise<GroundingEvaluation> {
  const serving = await servingFor(dependencies, version);
  const answers: GroundedAnswer[] = [];
  for (const question of questions) {
    answers.push(await answerGrounded(dependencies, serving, question, options));
    options.progress?.(answers.length, questions.length);
  }
  const citations = answers.reduce((sum, answer) => sum + answer.score.citations, 0);
  const valid = answers.reduce((sum, answer) => sum + answer.score.validCitations, 0);
  return {
    groundedness:
      answers.length === 0
        ? 0
        : answers.reduce((sum, answer) => sum + answer.score.groundedness, 0) / answers.length,
    citationValidity: citations === 0 ? 1 : valid / citations,
    answers,
  };
}

/** One question answered as the API answers it, with the answer's grounding score. */
export async function answerGrounded(
  dependencies: InferenceDependencies,
  serving: Serving,
  question: string,
  options: { maxTokens: number; temperature: number; signal?: AbortSignal },
): Promise<GroundedAnswer> {
  options.signal?.throwIfAborted();
  const { version } = serving;
  const prepared = await prepareAnswer(
    {
      model: version ? `${version.name}:${version.version}` : 'extractive',
      messages: [{ role: 'user', content: question }],
    },
    dependencies,
    serving,
  );
  const { text } = await collectStream(
    prepared.generator.stream({
      messages: prepared.messages,
      grounding: prepared.grounding,
      maxTokens: options.maxTokens,
      temperature: options.temperature,
      seed: 7,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
  return {
    question,
    answer: text,
    sources: prepared.grounding.sources.map(({ number, title, url }) => ({ number, title, url })),
    score: scoreGrounding(text, prepared.grounding.sources),
  };
}
