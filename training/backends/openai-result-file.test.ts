import { describe, expect, it } from 'vitest';
import { parseOpenAIResultFile } from './openai-result-file.ts';

const csv = `step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss
1,2.5,0.4,2.6,0.41,
2,2.0,0.5,,,
3,1.5,0.6,1.9,0.55,1.8
`;

describe('parseOpenAIResultFile', () => {
  it('reads the CSV, plain or base64-encoded as the Files API serves it', () => {
    const expected = {
      lossCurve: [
        { step: 1, trainLoss: 2.5, validationLoss: 2.6 },
        { step: 2, trainLoss: 2.0, validationLoss: null },
        { step: 3, trainLoss: 1.5, validationLoss: 1.9 },
      ],
      // The full validation loss wins over the sampled one.
      metrics: {
        steps: 3,
        trainLoss: 1.5,
        trainTokenAccuracy: 0.6,
        validationTokenAccuracy: 0.55,
        validationLoss: 1.8,
      },
    };
    expect(parseOpenAIResultFile(csv)).toEqual(expected);
    expect(parseOpenAIResultFile(Buffer.from(csv).toString('base64'))).toEqual(expected);
  });

  it('returns null for anything that is not a results CSV', () => {
    expect(parseOpenAIResultFile('{"error": "nope"}')).toBeNull();
    expect(parseOpenAIResultFile(Buffer.from('hello world').toString('base64'))).toBeNull();
    expect(parseOpenAIResultFile('step,accuracy\n1,0.5\n')).toBeNull();
    expect(parseOpenAIResultFile('step,train_loss\n')).toBeNull();
  });
});
