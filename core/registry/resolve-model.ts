import { NotFoundError } from '../errors.ts';
import type { ModelRegistry } from '../ports/model-registry.ts';
import type { ModelVersion } from '../types/model-version.ts';
import { formatModelReference, parseModelReference } from './model-reference.ts';

/** The version a reference points at now; aliases are read at call time, so a move takes effect at once. */
export async function resolveModel(registry: ModelRegistry, reference: string): Promise<ModelVersion> {
  const parsed = parseModelReference(reference);
  if ('version' in parsed) {
    const version = await registry.get(parsed.name, parsed.version);
    if (!version)
      throw new NotFoundError(`model ${formatModelReference(parsed)} not found (see \`twin models list\`)`);
    return version;
  }
  const alias = await registry.getAlias(parsed.name, parsed.alias);
  if (!alias) {
    const versions = await registry.list(parsed.name);
    throw new NotFoundError(
      versions.length === 0
        ? `model ${parsed.name} not found (see \`twin models list\`)`
        : `${formatModelReference(parsed)} is not set: promote a version with \`twin models promote ${parsed.name} VERSION --alias ${parsed.alias}\``,
    );
  }
  return (await registry.get(parsed.name, alias.version)) as ModelVersion;
}
