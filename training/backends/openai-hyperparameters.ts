import { z } from 'zod';
import { ValidationError } from '../../core/errors.ts';

/** Numbers typed on a command line arrive as strings ("3", "0.5"); read them as numbers. */
const numeric = (schema: z.ZodType) =>
  z.preprocess(
    (value) =>
      typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
        ? Number(value)
        : value,
    schema,
  );

const auto = z.literal('auto');

/** What OpenAI accepts for a supervised fine-tune; `auto` lets OpenAI pick from the dataset size. */
export const OpenAIHyperparameters = z
  .object({
    n_epochs: numeric(
      z.union([auto, z.number().int().min(1).max(50)], { error: '"auto" or a whole number from 1 to 50' }),
    ).default('auto'),
    batch_size: numeric(
      z.union([auto, z.number().int().min(1).max(256)], { error: '"auto" or a whole number from 1 to 256' }),
    ).default('auto'),
    learning_rate_multiplier: numeric(
      z.union([auto, z.number().positive().max(10)], { error: '"auto" or a number above 0 and at most 10' }),
    ).default('auto'),
    /** Part of the fine-tuned model's name: `ft:gpt-4o-mini-2024-07-18:org:SUFFIX:id`. */
    suffix: z
      .string()
      .max(18, 'at most 18 characters')
      .regex(/^[a-z0-9-]+$/, 'only a-z, 0-9 and "-"')
      .nullable()
      .default(null),
    seed: numeric(z.number({ error: 'a whole number from 0 to 2147483647' }).int().min(0).max(2_147_483_647))
      .nullable()
      .default(null),
  })
  .strict();
export type OpenAIHyperparameters = z.infer<typeof OpenAIHyperparameters>;

/** Validates and completes OpenAI hyper-parameters; throws one ValidationError listing every problem. */
export function parseOpenAIHyperparameters(input: Record<string, unknown>): OpenAIHyperparameters {
  const parsed = OpenAIHyperparameters.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.join(', ')} (known: ${Object.keys(OpenAIHyperparameters.shape).join(', ')})`;
    }
    return `${issue.path.join('.')}: ${issue.message}`;
  });
  throw new ValidationError(
    `invalid hyper-parameters for the openai backend:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
  );
}
