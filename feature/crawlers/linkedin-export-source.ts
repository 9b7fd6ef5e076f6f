import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type UnzipFileInfo, unzipSync } from 'fflate';
import { CrawlError, errorMessage } from '../../core/errors.ts';

/** Caps that keep a hostile or broken archive from exhausting memory (a zip bomb). */
export const linkedInExportLimits = {
  /** The archive file itself; it is read into memory whole. */
  maxArchiveBytes: 512 * 1024 * 1024,
  /** Entries listed in the archive (LinkedIn exports hold a few dozen). */
  maxEntries: 10_000,
  /** Uncompressed bytes of the entries we extract. */
  maxUncompressedBytes: 200 * 1024 * 1024,
  /** Files visited when walking an extracted folder. */
  maxFolderFiles: 20_000,
};

/** The parts of a LinkedIn data export the importer reads, from a .zip or an extracted folder. */
export type LinkedInExport = {
  /** Paths inside the export, `/`-separated. */
  sharesPath: string | null;
  articlePaths: string[];
  read(path: string): Uint8Array;
  /** A URL naming one file of the export: `file:///…/Shares.csv` or `file:///…/export.zip#Shares.csv`. */
  locate(path: string): string;
};

const isShares = (path: string) => /(^|\/)Shares\.csv$/i.test(path);
const isArticle = (path: string) => /(^|\/)Articles\/(.+\/)?[^/]+\.html?$/i.test(path);
// Exports sometimes arrive wrapped in one more folder; the shallowest Shares.csv is the export's own.
const byDepth = (a: string, b: string) => a.split('/').length - b.split('/').length || a.localeCompare(b);

function pick(paths: string[]): Pick<LinkedInExport, 'sharesPath' | 'articlePaths'> {
  return {
    sharesPath: paths.filter(isShares).sort(byDepth)[0] ?? null,
    articlePaths: paths.filter(isArticle).sort(),
  };
}

/** Opens `target` (a path or `file://` URL to a .zip or a folder). Fails with a CrawlError saying why. */
export async function openLinkedInExport(target: string): Promise<LinkedInExport> {
  const path = /^file:\/\//i.test(target) ? fileURLToPath(target) : resolve(target);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new CrawlError(target, `no such file or directory: ${path}`);
  const found = info.isDirectory() ? await openFolder(target, path) : await openZip(target, path, info.size);
  if (!found.sharesPath && found.articlePaths.length === 0) {
    throw new CrawlError(target, 'not a LinkedIn data export: no Shares.csv and no Articles/*.html inside');
  }
  return found;
}

async function openFolder(target: string, root: string): Promise<LinkedInExport> {
  const paths: string[] = [];
  const pending = [root];
  let visited = 0;
  while (pending.length > 0) {
    const folder = pending.pop()!;
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      visited += 1;
      if (visited > linkedInExportLimits.maxFolderFiles) {
        throw new CrawlError(
          target,
          `more than ${linkedInExportLimits.maxFolderFiles} files: not a LinkedIn export folder`,
        );
      }
      // Symbolic links are not followed: they could lead out of the export.
      if (entry.isDirectory()) pending.push(join(folder, entry.name));
      else if (entry.isFile()) paths.push(relative(root, join(folder, entry.name)).split(sep).join('/'));
    }
  }
  const wanted = pick(paths);
  const files = new Map<string, Uint8Array>();
  for (const path of [wanted.sharesPath, ...wanted.articlePaths]) {
    if (path) files.set(path, await readFile(join(root, ...path.split('/'))));
  }
  return {
    ...wanted,
    read: (path) => files.get(path) ?? new Uint8Array(),
    locate: (path) => pathToFileURL(join(root, ...path.split('/'))).href,
  };
}

async function openZip(target: string, path: string, size: number): Promise<LinkedInExport> {
  if (size > linkedInExportLimits.maxArchiveBytes) {
    throw new CrawlError(
      target,
      `archive is ${size} bytes, over the ${linkedInExportLimits.maxArchiveBytes}-byte limit`,
    );
  }
  const handle = await open(path, 'r');
  const magic = Buffer.alloc(4);
  await handle.read(magic, 0, 4, 0).finally(() => handle.close());
  // PK\3\4 (entries) or PK\5\6 (an empty archive).
  if (magic[0] !== 0x50 || magic[1] !== 0x4b) {
    throw new CrawlError(
      target,
      'expected a LinkedIn data export (.zip archive or extracted folder), got another kind of file',
    );
  }
  const data = new Uint8Array(await readFile(path));
  let entries = 0;
  let uncompressed = 0;
  // The filter sees each entry's declared sizes before anything is inflated; fflate then inflates
  // into a buffer of exactly the declared size, so the declared total is a real bound.
  const filter = (file: UnzipFileInfo) => {
    entries += 1;
    if (entries > linkedInExportLimits.maxEntries) {
      throw new CrawlError(
        target,
        `archive lists more than ${linkedInExportLimits.maxEntries} entries (refused as a possible zip bomb)`,
      );
    }
    if (!isShares(file.name) && !isArticle(file.name)) return false;
    uncompressed += file.originalSize;
    if (uncompressed > linkedInExportLimits.maxUncompressedBytes) {
      throw new CrawlError(
        target,
        `archive would expand past ${linkedInExportLimits.maxUncompressedBytes} bytes (refused as a possible zip bomb)`,
      );
    }
    return true;
  };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(data, { filter });
  } catch (error) {
    if (error instanceof CrawlError) throw error;
    throw new CrawlError(target, `malformed zip archive: ${errorMessage(error)}`, { cause: error });
  }
  const archiveUrl = pathToFileURL(path).href;
  return {
    ...pick(Object.keys(files)),
    read: (entry) => files[entry] ?? new Uint8Array(),
    locate: (entry) => `${archiveUrl}#${entry.split('/').map(encodeURIComponent).join('/')}`,
  };
}
