import type { BpeTokenizer } from '../../../core/local-model/bpe-tokenizer.ts';
import { ChatFormat } from '../../../core/local-model/chat-format.ts';
import { createSeededRandom, deriveSeed } from '../../../core/local-model/seeded-random.ts';
import type { DatasetSplits, InstructionExample } from '../../../core/types/dataset.ts';
import type { LocalHyperparameters } from './local-hyperparameters.ts';
import { packTrainingRows, shuffle, type TrainingRow } from './pack-training-rows.ts';

export type TrainingData = {
  train: TrainingRow[];
  validation: TrainingRow[];
  trainExamples: number;
  validationExamples: number;
  /** Where validation came from, for the log. */
  validationSource: 'test split' | 'holdout' | 'none';
};

/** Which examples train and which validate, per the `validation` hyper-parameter. */
export function splitForValidation(
  examples: DatasetSplits<InstructionExample>,
  hyperparameters: Pick<LocalHyperparameters, 'validation' | 'validationFraction' | 'seed'>,
): {
  train: InstructionExample[];
  validation: InstructionExample[];
  source: TrainingData['validationSource'];
} {
  if (hyperparameters.validation === 'none') return { train: examples.train, validation: [], source: 'none' };
  if (hyperparameters.validation === 'test' && examples.test.length > 0) {
    return { train: examples.train, validation: examples.test, source: 'test split' };
  }
  // Holding out needs something left to train on.
  if (examples.train.length < 2) return { train: examples.train, validation: [], source: 'none' };
  const shuffled = shuffle(examples.train, createSeededRandom(deriveSeed(hyperparameters.seed, 'holdout')));
  const count = Math.max(1, Math.round(shuffled.length * hyperparameters.validationFraction));
  return { train: shuffled.slice(count), validation: shuffled.slice(0, count), source: 'holdout' };
}

/** Formats examples with the shared chat template, cuts them to the context and packs rows. */
export function prepareTrainingData(
  examples: DatasetSplits<InstructionExample>,
  tokenizer: BpeTokenizer,
  contextLength: number,
  hyperparameters: Pick<LocalHyperparameters, 'validation' | 'validationFraction' | 'seed'>,
): TrainingData {
  const { train, validation, source } = splitForValidation(examples, hyperparameters);
  const format = new ChatFormat(tokenizer, { contextLength });
  const rowsOf = (items: InstructionExample[]) =>
    packTrainingRows(
      items.flatMap((example) => format.toWindows(format.formatExample(example.instruction, example.answer))),
      contextLength,
    );
  return {
    train: rowsOf(train),
    validation: rowsOf(validation),
    trainExamples: train.length,
    validationExamples: validation.length,
    validationSource: source,
  };
}
