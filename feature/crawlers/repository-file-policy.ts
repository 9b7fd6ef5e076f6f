import type { CrawlerConfig } from '../../core/config/config-schema.ts';

type RepositorySettings = CrawlerConfig['repository'];

/** One file of a repository's tree, as `git ls-tree -l` lists it. */
export type TreeEntry = { mode: string; type: string; objectId: string; size: number; path: string };

// Language -> the extensions that mean it; inverted below into a lookup table.
const extensionsByLanguage: Record<string, string> = {
  typescript: 'ts tsx mts cts',
  javascript: 'js jsx mjs cjs',
  python: 'py pyi',
  jupyter: 'ipynb',
  ruby: 'rb',
  go: 'go',
  rust: 'rs',
  java: 'java',
  kotlin: 'kt kts',
  scala: 'scala',
  swift: 'swift',
  c: 'c h',
  cpp: 'cc cpp cxx hpp hh',
  csharp: 'cs',
  php: 'php',
  r: 'r',
  julia: 'jl',
  lua: 'lua',
  dart: 'dart',
  elixir: 'ex exs',
  erlang: 'erl',
  haskell: 'hs',
  clojure: 'clj cljs',
  sql: 'sql',
  shell: 'sh bash zsh',
  powershell: 'ps1',
  batch: 'cmd bat',
  markdown: 'md mdx',
  restructuredtext: 'rst',
  asciidoc: 'adoc',
  text: 'txt',
  html: 'html htm',
  css: 'css scss sass less',
  vue: 'vue',
  svelte: 'svelte',
  json: 'json',
  yaml: 'yaml yml',
  toml: 'toml',
  ini: 'ini cfg',
  xml: 'xml',
  terraform: 'tf',
  protobuf: 'proto',
  graphql: 'graphql gql',
  latex: 'tex',
};
const languages = new Map(
  Object.entries(extensionsByLanguage).flatMap(([language, list]) =>
    list.split(' ').map((ext) => [ext, language] as const),
  ),
);
const languagesByName: Record<string, string> = {
  Makefile: 'makefile',
  Dockerfile: 'dockerfile',
  Containerfile: 'dockerfile',
  Rakefile: 'ruby',
  Gemfile: 'ruby',
  Justfile: 'just',
  CMakeLists: 'cmake',
};

// Extensions that are never text. Content is sniffed too (NUL bytes), so this list only has to
// spare us reading big files we already know are binary.
const binaryExtensions = new Set(
  [
    'png jpg jpeg gif bmp ico webp avif tif tiff psd heic',
    'mp3 mp4 m4a wav ogg flac mov avi mkv webm',
    'zip gz tgz bz2 xz zst 7z rar tar jar war whl egg',
    'pdf doc docx xls xlsx ppt pptx odt key numbers pages',
    'exe dll so dylib a o obj lib bin class pyc pyo wasm node',
    'ttf otf woff woff2 eot db sqlite sqlite3 parquet feather arrow',
    'npy npz pkl pickle pt pth onnx h5 hdf5 safetensors gguf ckpt tflite',
  ]
    .join(' ')
    .split(' '),
);

// Files whose purpose is to hold credentials. A repository that committed one by mistake must not
// leak it into a training set, whatever it looks like inside.
const secretNames =
  /^(\.env(\..+)?|\.npmrc|\.pypirc|\.netrc|\.pgpass|id_(rsa|dsa|ecdsa|ed25519)|credentials(\.json)?|.+\.(pem|p12|pfx|jks|keystore))$/i;
const secretTemplates = /^\.env\.(example|sample|template|dist)$/i;

function fileName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function extension(path: string): string {
  const name = fileName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** The language of a file from its name, or null when unknown. */
export function languageOf(path: string): string | null {
  const name = fileName(path);
  return (
    languagesByName[name] ??
    languagesByName[name.replace(/\.txt$/, '')] ??
    languages.get(extension(path)) ??
    null
  );
}

/** The ignored directory a path lies under (its path inside the repository), or null. */
export function ignoredDirectoryOf(path: string, settings: RepositorySettings): string | null {
  const parts = path.split('/');
  for (let index = 0; index < parts.length - 1; index += 1) {
    if (settings.ignoreDirectories.includes(parts[index]!)) return parts.slice(0, index + 1).join('/');
  }
  return null;
}

/**
 * Why a tree entry is not crawled, judged from its name, mode and size alone (no reading), or
 * null when it should be read. Ignored directories are handled by the caller, grouped per folder.
 */
export function skipReason(entry: TreeEntry, settings: RepositorySettings): string | null {
  if (entry.type === 'commit') return 'git submodule (not followed)';
  if (entry.type !== 'blob') return `not a file (${entry.type})`;
  if (entry.mode === '120000') return 'symbolic link';
  const name = fileName(entry.path);
  if (settings.ignoreFiles.includes(name))
    return `ignored file name ${name} (crawler.repository.ignoreFiles)`;
  if (secretNames.test(name) && !secretTemplates.test(name)) return 'file may hold credentials';
  const type = extension(entry.path);
  if (binaryExtensions.has(type)) return `binary file type (.${type})`;
  if (entry.size > settings.maxFileBytes) {
    return `larger than crawler.repository.maxFileBytes (${entry.size} > ${settings.maxFileBytes} bytes)`;
  }
  if (entry.size === 0) return 'empty file';
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The file's text, or why it is not text. Decoding keeps every byte's meaning: a BOM, CRLF line
 * endings, tabs and trailing spaces all survive, because code's whitespace is part of its style.
 */
export function decodeText(bytes: Uint8Array): { text: string } | { reason: string } {
  // git's own heuristic: a NUL byte in the first 8000 bytes means binary.
  if (bytes.subarray(0, 8000).includes(0)) return { reason: 'binary content (NUL byte)' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { reason: 'not UTF-8 text' };
  }
  if (text.trim() === '') return { reason: 'blank file' };
  return { text };
}
