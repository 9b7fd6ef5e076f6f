import type { CleanedDocument } from '../../core/types/cleaned-document.ts';

export type RepositoryFile = { repository: string; path: string; name: string; isCode: boolean };

const codeExtensions = new Set(
  'ts tsx mts cts js jsx mjs cjs py rb go rs java kt kts scala swift c h cc cpp hpp cs php lua r jl sql sh bash zsh ps1 cmd bat ex exs erl hs ml clj dart vue svelte'.split(
    ' ',
  ),
);
const codeNames = new Set(['makefile', 'dockerfile', 'justfile', 'rakefile']);

/**
 * Repository name and file path of a repository document. The git crawler titles files
 * `<repository>: <path>`; the URL is the fallback for documents titled otherwise.
 */
export function parseRepositoryFile(document: Pick<CleanedDocument, 'title' | 'url'>): RepositoryFile {
  const titled = /^(?<repository>[^:\s][^:]*?): (?<path>\S.*)$/.exec(document.title.trim());
  let repository = titled?.groups?.repository ?? '';
  let path = titled?.groups?.path ?? '';
  if (!path) {
    const segments = document.url
      .replace(/[?#].*$/, '')
      .split('/')
      .filter(Boolean);
    path = segments[segments.length - 1] ?? document.title;
    repository = document.title.trim() || 'repository';
  }
  const name = path.split('/').pop() ?? path;
  const extension = name.includes('.') ? (name.split('.').pop() ?? '').toLowerCase() : '';
  return {
    repository,
    path,
    name,
    isCode: codeExtensions.has(extension) || codeNames.has(name.toLowerCase()),
  };
}

/**
 * The first explanatory comment of a code file as prose: a block comment, a docstring or a run of
 * line comments, with the comment markers and wrapping removed. This is where authors explain
 * what a file is for in their own words. Null when the file has none worth quoting.
 */
export function leadingCodeComment(code: string): string | null {
  const candidates = [
    /\/\*\*?([\s\S]*?)\*\//.exec(code)?.[1],
    /^\s*(?:[rbu]?)("""|''')([\s\S]*?)\1/m.exec(code)?.[2],
    /(?:^[ \t]*(?:#(?!!)|\/\/)[^\n]*\n?){2,}/m.exec(code)?.[0],
  ].filter((candidate): candidate is string => candidate !== undefined);
  for (const candidate of candidates) {
    const prose = commentProse(candidate);
    if (prose.length >= 40) return prose;
  }
  return null;
}

function commentProse(comment: string): string {
  const lines = comment
    .split('\n')
    .map((line) => line.replace(/^\s*(\*(?!\/)|\/\/+|#+)?\s?/, '').trimEnd())
    .filter((line) => !/^@\w+/.test(line.trim()));
  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      if (current.length) paragraphs.push(current.join(' '));
      current = [];
    } else current.push(line.trim());
  }
  if (current.length) paragraphs.push(current.join(' '));
  return paragraphs.join('\n\n').trim();
}
