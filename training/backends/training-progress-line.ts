import type { TrainingLoopHooks } from './local/training-loop.ts';

type TrainingStatus = Parameters<TrainingLoopHooks['onProgress']>[1];

/**
 * The progress bar's text after a step of an in-process trainer (local and lora alike):
 * `step 12/60 · loss 2.345 · val 2.410 · 31.2 tok/s`. Three decimals, because a fine-tune's loss
 * moves by hundredths from step to step and two would hide that it moves at all.
 */
export function trainingProgressLine(step: number, steps: number, status: TrainingStatus): string {
  return (
    `step ${step}/${steps} · loss ${status.trainLoss.toFixed(3)}` +
    (status.validationLoss === null ? '' : ` · val ${status.validationLoss.toFixed(3)}`) +
    ` · ${status.tokensPerSecond.toFixed(1)} tok/s`
  );
}
