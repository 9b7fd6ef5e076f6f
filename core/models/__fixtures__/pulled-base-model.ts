import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load-config.ts';
import { catalogModel } from '../pull/model-catalog.ts';

/**
 * The pulled SmolLM2 file for the tests that run the real model, or null when it is not in the
 * cache. Under CI=true a missing model is an error, not a skip: `.ci/run` pulls it first.
 */
export function pulledBaseModel(): string | null {
  const model = catalogModel('smollm2-135m-instruct');
  if (!model) throw new Error('smollm2-135m-instruct is missing from the model catalog');
  const path = join(loadConfig().models.cacheDir, model.name, model.fileName);
  if (existsSync(path)) return path;
  if (process.env.CI === 'true')
    throw new Error(
      `the real model is not in the cache (${path}): run \`npx twin models pull smollm2-135m-instruct\` before the tests`,
    );
  return null;
}
