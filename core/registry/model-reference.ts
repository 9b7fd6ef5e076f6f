import { ValidationError } from '../errors.ts';

/** `twin` (its production alias), `twin@staging` (an alias) or `twin:3` (a version). */
export type ModelReference = { name: string; version: number } | { name: string; alias: string };

export const defaultAlias = 'production';

export function parseModelReference(reference: string): ModelReference {
  const match = /^([a-z0-9][a-z0-9._-]{0,63})(?::(\d+)|@([a-z][a-z0-9_-]{0,31}))?$/.exec(reference.trim());
  if (!match) {
    throw new ValidationError(
      `invalid model reference "${reference}": use NAME (production alias), NAME@ALIAS or NAME:VERSION`,
    );
  }
  const [, name, version, alias] = match as unknown as [
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  if (version !== undefined) return { name, version: Number(version) };
  return { name, alias: alias ?? defaultAlias };
}

export function formatModelReference(reference: ModelReference): string {
  return 'version' in reference
    ? `${reference.name}:${reference.version}`
    : `${reference.name}@${reference.alias}`;
}
