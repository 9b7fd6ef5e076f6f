import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const folders = ['core', 'feature', 'training', 'inference', 'cli', 'bench', 'datasets'];

function sourceFiles(folder: string): string[] {
  const path = join(root, folder);
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const child = join(path, name);
    if (statSync(child).isDirectory()) return sourceFiles(relative(root, child));
    return /\.(ts|mts|mjs)$/.test(name) ? [relative(root, child)] : [];
  });
}

/** Relative imports of a file, static and dynamic, resolved to repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] as string);
  return specifiers.map((specifier) => relative(root, resolve(dirname(join(root, file)), specifier)));
}

const files = folders.flatMap(sourceFiles);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const topFolder = (file: string) => file.split('/')[0] as string;

describe('architecture', () => {
  it('keeps the pipelines apart: core imports no pipeline, no pipeline imports another', () => {
    const allowed: Record<string, string[]> = {
      core: ['core'],
      feature: ['core', 'feature'],
      training: ['core', 'training'],
      inference: ['core', 'inference'],
    };
    const violations: string[] = [];
    for (const [file, imports] of graph) {
      const own = allowed[topFolder(file)];
      if (!own) continue;
      for (const target of imports) {
        // Tests may use the shared sample data.
        if (file.endsWith('.test.ts') && topFolder(target) === 'datasets') continue;
        if (!own.includes(topFolder(target))) violations.push(`${file} → ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no circular imports', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('sees the whole tree', () => {
    expect(files.length).toBeGreaterThan(50);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });
});
