import { Semaphore } from '../../core/concurrency/semaphore.ts';
import { ValidationError } from '../../core/errors.ts';
import { assertEmbedderMatches } from '../../core/features/embed-texts.ts';
import { perplexity } from '../../core/models/perplexity.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { AnswerScore } from '../../core/ports/runnable-model.ts';
import type { InstructionExample } from '../../core/types/dataset.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import type { JudgeVerdict, LlmJudge } from './llm-judge.ts';
import { rougeL } from './rouge-l.ts';
import { styleSimilarity } from './style-similarity.ts';

export type EvaluateModelInput = {
  /** The dataset's test split: instructions and the author's own answers. */
  examples: readonly InstructionExample[];
  /** The model under test, as it answers an instruction (see `evaluateVersion`). */
  generate: (instruction: string, signal?: AbortSignal) => Promise<string>;
  /**
   * The log-probability the model gives each token of the author's answer; when given, the
   * metrics include perplexity (only models that can score answers give it).
   */
  score?: (instruction: string, answer: string, signal?: AbortSignal) => Promise<AnswerScore>;
  /** The feature set's embedder: style similarity must embed as the features were embedded. */
  embedder: Embedder;
  featureSet: FeatureSet;
  judge?: LlmJudge;
  /** Answers generated at once: 1 for a local model (CPU-bound), more for an HTTP endpoint. */
  concurrency?: number;
  progress?: (fraction: number, message?: string) => Promise<void> | void;
  signal?: AbortSignal;
};

export type EvaluationSample = {
  instruction: string;
  reference: string;
  generated: string;
  rougeL: number;
  style: number;
  /** Absent without a judge; null when the judge's reply could not be read. */
  judge?: JudgeVerdict | null;
};

export type EvaluationMetrics = {
  /** Mean ROUGE-L F1 against the author's answers. */
  rougeL: number;
  /** Mean cosine similarity to the author's answers in the feature set's embedding space. */
  styleSimilarity: number;
  /** Perplexity of the author's answers, all their tokens together, when `score` was given. */
  perplexity?: number;
  /** Mean judge scores (1–3) over the examples the judge scored. */
  judgeAccuracy?: number;
  judgeStyle?: number;
  /** Examples the judge gave no readable verdict for. */
  judgeUnscored?: number;
  examples: number;
};

export type Evaluation = { metrics: EvaluationMetrics; samples: EvaluationSample[] };

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Evaluates a model on held-out examples: generates an answer per instruction, then scores it
 * with ROUGE-L, style similarity, perplexity (when the model gives log-probabilities) and an
 * LLM judge (when one is configured). Judge calls start as soon as an answer exists, so judging
 * overlaps generation; the judge limits its own concurrency.
 */
export async function evaluateModel(input: EvaluateModelInput): Promise<Evaluation> {
  // Checked before spending any generation: a mismatch would only fail at the very end.
  assertEmbedderMatches(input.featureSet, input.embedder);
  const { examples, signal } = input;
  if (examples.length === 0)
    throw new ValidationError('there are no examples to evaluate (the test split is empty)');
  const report = async (fraction: number, message: string) => input.progress?.(fraction, message);
  const generateShare = input.judge ? 0.6 : 0.85;
  const slots = new Semaphore(input.concurrency ?? 1);

  let generatedCount = 0;
  const scores: AnswerScore[] = [];
  const judged: Promise<Settled<JudgeVerdict | null>>[] = [];
  const generated = await Promise.all(
    examples.map((example, index) =>
      slots.run(async () => {
        signal?.throwIfAborted();
        const answer = await input.generate(example.instruction, signal);
        if (input.score) scores[index] = await input.score(example.instruction, example.answer, signal);
        if (input.judge) {
          judged[index] = input.judge
            .judge({ instruction: example.instruction, reference: example.answer, generated: answer }, signal)
            .then(
              (value) => ({ ok: true as const, value }),
              // Kept, not thrown here: a rejection must not go unhandled while generation goes on.
              (error: unknown) => ({ ok: false as const, error }),
            );
        }
        generatedCount++;
        await report(
          (generatedCount / examples.length) * generateShare,
          `generated ${generatedCount}/${examples.length}`,
        );
        return answer;
      }),
    ),
  );

  await report(generateShare, 'measuring style similarity');
  const style = await styleSimilarity(
    examples.map((example, index) => ({ generated: generated[index] as string, reference: example.answer })),
    input.embedder,
    input.featureSet,
  );
  const samples: EvaluationSample[] = examples.map((example, index) => ({
    instruction: example.instruction,
    reference: example.answer,
    generated: generated[index] as string,
    rougeL: rougeL(generated[index] as string, example.answer),
    style: style.scores[index] as number,
  }));

  const metrics: EvaluationMetrics = {
    rougeL: mean(samples.map((sample) => sample.rougeL)),
    styleSimilarity: style.mean,
    examples: examples.length,
  };
  const answerLogProbabilities = scores.flatMap((score) => score.tokenLogProbabilities);
  if (answerLogProbabilities.length > 0) metrics.perplexity = perplexity(answerLogProbabilities);

  if (input.judge) {
    await report(generateShare + 0.1, 'waiting for the judge');
    const verdicts = await Promise.all(judged);
    const failed = verdicts.find((verdict) => !verdict.ok);
    if (failed && !failed.ok) throw failed.error;
    verdicts.forEach((verdict, index) => {
      if (verdict.ok) (samples[index] as EvaluationSample).judge = verdict.value;
    });
    const scored = samples.flatMap((sample) => (sample.judge ? [sample.judge] : []));
    metrics.judgeUnscored = samples.length - scored.length;
    if (scored.length > 0) {
      metrics.judgeAccuracy = mean(scored.map((verdict) => verdict.accuracy));
      metrics.judgeStyle = mean(scored.map((verdict) => verdict.style));
    }
  }
  await report(1, `evaluated ${examples.length} examples`);
  return { metrics, samples };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}
