import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

export type TrainedModel =
  | { kind: 'gguf'; path: string; bytes: number; others: string[] }
  | { kind: 'folder'; path: string };

/**
 * What an external trainer left in its output folder: a GGUF file (llama.cpp can serve it) wins
 * over a Hugging Face model folder (`config.json`, or `adapter_config.json` for a LoRA adapter).
 * GGUF files are looked for two levels deep (Unsloth writes `output/<name>.Q4_K_M.gguf`, some
 * scripts `output/gguf/…`); with several, `model.gguf` wins, then the first by name.
 */
export async function findTrainedModel(outputDir: string): Promise<TrainedModel | null> {
  const ggufFiles = (await filesUnder(outputDir, 2))
    .filter((path) => path.toLowerCase().endsWith('.gguf'))
    .sort();
  if (ggufFiles.length > 0) {
    const chosen = ggufFiles.find((path) => basename(path) === 'model.gguf') ?? (ggufFiles[0] as string);
    const { size } = await stat(chosen);
    return { kind: 'gguf', path: chosen, bytes: size, others: ggufFiles.filter((path) => path !== chosen) };
  }
  if (await isModelFolder(outputDir)) return { kind: 'folder', path: outputDir };
  const folders = (await entries(outputDir))
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(outputDir, entry.name));
  const modelFolders: string[] = [];
  for (const folder of folders) if (await isModelFolder(folder)) modelFolders.push(folder);
  // One model folder inside the output is unambiguous; several (checkpoints) are not.
  return modelFolders.length === 1 ? { kind: 'folder', path: modelFolders[0] as string } : null;
}

/** sha256 of a file, streamed: GGUF files are gigabytes. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function isModelFolder(folder: string): Promise<boolean> {
  const names = new Set((await entries(folder)).filter((entry) => entry.isFile()).map((entry) => entry.name));
  return names.has('config.json') || names.has('adapter_config.json');
}

async function filesUnder(folder: string, depth: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await entries(folder)) {
    const path = join(folder, entry.name);
    if (entry.isFile()) found.push(path);
    else if (entry.isDirectory() && depth > 1) found.push(...(await filesUnder(path, depth - 1)));
  }
  return found;
}

async function entries(folder: string) {
  try {
    return await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
}
