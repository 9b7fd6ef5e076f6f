export type LearningRateSchedule = {
  peak: number;
  steps: number;
  warmupSteps: number;
  schedule: 'cosine' | 'linear' | 'constant';
  /** The rate decays to this fraction of `peak` by the last step. */
  minRatio: number;
};

/** Learning rate for a 0-based step: linear warmup to the peak, then the chosen decay. */
export function learningRateAt(step: number, options: LearningRateSchedule): number {
  const { peak, steps, warmupSteps, schedule, minRatio } = options;
  if (step < warmupSteps) return (peak * (step + 1)) / (warmupSteps + 1);
  if (schedule === 'constant') return peak;
  const decaySteps = Math.max(1, steps - warmupSteps - 1);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  const shape = schedule === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return peak * (minRatio + (1 - minRatio) * shape);
}

/** The schedule hyper-parameters every trainer here names the same way. */
export type ScheduleHyperparameters = {
  learningRate: number;
  steps: number;
  warmupSteps: number;
  schedule: LearningRateSchedule['schedule'];
  minLearningRateRatio: number;
};

/** `learningRateAt` for a trainer's hyper-parameters. */
export function learningRateFor(step: number, hyperparameters: ScheduleHyperparameters): number {
  return learningRateAt(step, {
    peak: hyperparameters.learningRate,
    steps: hyperparameters.steps,
    warmupSteps: hyperparameters.warmupSteps,
    schedule: hyperparameters.schedule,
    minRatio: hyperparameters.minLearningRateRatio,
  });
}
