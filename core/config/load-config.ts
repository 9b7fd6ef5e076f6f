import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, errorMessage } from '../errors.ts';
import { TwinConfig } from './config-schema.ts';

/** The project's `configs/` folder, found from this file so the CLI works from any directory. */
export const configsDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs');

export type LoadConfigOptions = {
  /** A YAML file merged over the defaults (the CLI's `--config`). */
  file?: string;
  /** Environment to read `TWIN_*` overrides and `TWIN_ENV` from; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Final overrides from code (tests, CLI flags), merged last. */
  overrides?: Record<string, unknown>;
};

/**
 * Builds the effective configuration: configs/default.yaml, then configs/$TWIN_ENV.yaml, then the
 * `file`, then TWIN_* variables, then `overrides`. Fails once, listing every problem found.
 */
export function loadConfig(options: LoadConfigOptions = {}): TwinConfig {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const layers: Record<string, unknown>[] = [readYaml(join(configsDirectory, 'default.yaml'), problems)];
  const environment = env.TWIN_ENV;
  if (environment) {
    const path = join(configsDirectory, `${environment}.yaml`);
    if (existsSync(path)) layers.push(readYaml(path, problems));
    else problems.push(`TWIN_ENV=${environment} but ${path} does not exist`);
  }
  const file = options.file ?? env.TWIN_CONFIG;
  if (file) layers.push(readYaml(resolve(file), problems));
  layers.push(environmentOverrides(env, problems));
  if (options.overrides) layers.push(options.overrides);
  if (problems.length > 0) throw new ConfigError(problems);

  const merged = layers.reduce<Record<string, unknown>>((result, layer) => deepMerge(result, layer), {});
  const parsed = TwinConfig.safeParse(applyShortcuts(merged, env));
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  return parsed.data;
}

function readYaml(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`cannot read ${path}: ${errorMessage(error)}`);
    return {};
  }
  try {
    const value: unknown = parseYaml(text) ?? {};
    if (!isPlainObject(value)) {
      problems.push(`${path}: expected a mapping at the top level`);
      return {};
    }
    return value;
  } catch (error) {
    problems.push(`${path}: invalid YAML: ${errorMessage(error)}`);
    return {};
  }
}

/**
 * `TWIN_STORES__METADATA__DRIVER=postgres` sets stores.metadata.driver. Segments are separated by a
 * double underscore and turned from SNAKE_CASE into camelCase; values are read as YAML scalars so
 * numbers and booleans keep their types.
 */
function environmentOverrides(env: Record<string, string | undefined>, problems: string[]) {
  const result: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('TWIN_') || raw === undefined) continue;
    if (name === 'TWIN_ENV' || name === 'TWIN_CONFIG' || name === 'TWIN_MODELS_DIR') continue;
    const path = name
      .slice('TWIN_'.length)
      .split('__')
      .map((segment) =>
        segment.toLowerCase().replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()),
      );
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch (error) {
      problems.push(`${name}: cannot parse value: ${errorMessage(error)}`);
      continue;
    }
    let target = result;
    for (const segment of path.slice(0, -1)) {
      const next = target[segment];
      target[segment] = isPlainObject(next) ? next : {};
      target = target[segment] as Record<string, unknown>;
    }
    target[path[path.length - 1] as string] = value ?? null;
  }
  return result;
}

/**
 * Well-known variables users already have set: OPENAI_API_KEY fills an empty key of the OpenAI
 * embedder and of any endpoint that talks to api.openai.com.
 */
function applyShortcuts(config: Record<string, unknown>, env: Record<string, string | undefined>) {
  const withModels = withModelsCache(config, env);
  const key = env.OPENAI_API_KEY;
  if (!key) return withModels;
  const result = { ...withModels };
  const embedder = result.embedder;
  if (isPlainObject(embedder) && embedder.provider === 'openai' && !embedder.apiKey) {
    result.embedder = { ...embedder, apiKey: key };
  }
  const training = result.training;
  if (isPlainObject(training)) {
    const filled = { ...training };
    for (const name of ['generator', 'judge'] as const) {
      const endpoint = filled[name];
      if (
        isPlainObject(endpoint) &&
        !endpoint.apiKey &&
        String(endpoint.baseUrl).includes('api.openai.com')
      ) {
        filled[name] = { ...endpoint, apiKey: key };
      }
    }
    const backends = filled.backends;
    if (isPlainObject(backends) && isPlainObject(backends.openai) && !backends.openai.apiKey) {
      filled.backends = { ...backends, openai: { ...backends.openai, apiKey: key } };
    }
    result.training = filled;
  }
  return result;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') return `${path}: unknown key(s) ${issue.keys.join(', ')}`;
    return `${path}: ${issue.message}`;
  });
}

export function deepMerge(
  base: Record<string, unknown>,
  layer: Record<string, unknown>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    const current = result[key];
    // A layer that switches a driver/provider replaces the whole block, so fields of the old
    // variant do not leak into the new one and trip the strict schema.
    const switchesVariant =
      isPlainObject(value) &&
      isPlainObject(current) &&
      ['driver', 'provider'].some((tag) => tag in value && value[tag] !== current[tag]);
    result[key] =
      isPlainObject(value) && isPlainObject(current) && !switchesVariant ? deepMerge(current, value) : value;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves a store path: absolute paths stay, relative ones live under the data folder. */
export function resolveDataPath(config: TwinConfig, path: string): string {
  return isAbsolute(path) ? path : resolve(config.dataDir, path);
}

/** Fills `models.cacheDir` when no file or `TWIN_MODELS__CACHE_DIR` set it: `TWIN_MODELS_DIR`, else the user's cache. */
function withModelsCache(config: Record<string, unknown>, env: Record<string, string | undefined>) {
  const models = isPlainObject(config.models) ? config.models : {};
  if (models.cacheDir) return config;
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const cacheDir = env.TWIN_MODELS_DIR || join(cacheHome, 'llm-twin', 'models');
  return { ...config, models: { ...models, cacheDir: resolve(cacheDir) } };
}
