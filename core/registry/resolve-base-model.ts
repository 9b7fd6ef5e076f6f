import { NotFoundError } from '../errors.ts';
import type { ModelRegistry } from '../ports/model-registry.ts';
import type { ModelVersion } from '../types/model-version.ts';
import { newestVersion } from './baseline-version.ts';
import { parseModelReference } from './model-reference.ts';
import { resolveModel } from './resolve-model.ts';

/**
 * A base model reference: NAME:VERSION, NAME@ALIAS, or NAME for its newest version (pulled models
 * hold no alias).
 */
export async function resolveBaseModel(models: ModelRegistry, reference: string): Promise<ModelVersion> {
  const parsed = parseModelReference(reference);
  const found =
    'version' in parsed
      ? await models.get(parsed.name, parsed.version)
      : reference.includes('@')
        ? await resolveModel(models, reference)
        : await newestVersion(models, parsed.name);
  if (!found)
    throw new NotFoundError(
      `base model ${reference} not found (see \`twin models list\`; pull one with \`twin models pull\`)`,
    );
  return found;
}
