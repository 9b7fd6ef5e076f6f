import { createHash } from 'node:crypto';
import { z } from 'zod';
import { errorMessage, NotFoundError, ValidationError } from '../errors.ts';
import type { ArtifactStore } from '../ports/artifact-store.ts';
import { BpeTokenizer, BpeTokenizerJson } from './bpe-tokenizer.ts';
import { LocalModelConfig } from './model-config.ts';
import { TransformerModel } from './transformer-model.ts';
import { weightSpecs } from './weight-specs.ts';

export const checkpointFormat = 'llm-twin-local-model';
export const checkpointFormatVersion = 1;
const weightsFileName = 'weights.bin';
const manifestFileName = 'manifest.json';

const TensorEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().positive()),
  dtype: z.literal('float32'),
  /** Byte offset in weights.bin. */
  offset: z.number().int().nonnegative(),
  /** Length in bytes. */
  bytes: z.number().int().positive(),
});

/** What `manifest.json` holds; the weights are in `weights.bin` next to it. */
export const CheckpointManifest = z.object({
  format: z.literal(checkpointFormat),
  formatVersion: z.literal(checkpointFormatVersion),
  config: LocalModelConfig,
  tokenizer: BpeTokenizerJson,
  weights: z.object({
    file: z.literal(weightsFileName),
    bytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Float32, little-endian, in this order, back to back. */
    tensors: z.array(TensorEntry).min(1),
  }),
  /** Free-form facts about the run that made it (steps, losses, dataset, parent…). */
  training: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type CheckpointManifest = z.infer<typeof CheckpointManifest>;

export type LoadedCheckpoint = {
  model: TransformerModel;
  tokenizer: BpeTokenizer;
  manifest: CheckpointManifest;
};

/** The manifest key of the checkpoint in a folder; `key` may be the folder or the manifest itself. */
export function manifestKeyOf(key: string): string {
  const trimmed = key.replace(/\/+$/, '');
  return trimmed.endsWith(`/${manifestFileName}`) || trimmed === manifestFileName
    ? trimmed
    : `${trimmed}/${manifestFileName}`;
}

function weightsKeyOf(manifestKey: string): string {
  return `${manifestKey.slice(0, manifestKey.length - manifestFileName.length)}${weightsFileName}`;
}

/**
 * Writes `<folder>/weights.bin`, then `<folder>/manifest.json`. The store writes each file
 * atomically, and the manifest (which names the weights' sha256) goes last, so a checkpoint
 * interrupted half-way is never loadable: either no manifest, or one whose hash the old or partial
 * weights fail. Returns the manifest's key and sha256, which identify the whole checkpoint.
 */
export async function saveCheckpoint(
  artifacts: ArtifactStore,
  folder: string,
  input: { model: TransformerModel; tokenizer: BpeTokenizer; training?: Record<string, unknown> },
): Promise<{ key: string; sha256: string; bytes: number }> {
  const manifestKey = manifestKeyOf(folder);
  const tensors = input.model.exportWeights();
  const totalBytes = tensors.reduce((sum, tensor) => sum + tensor.values.length * 4, 0);
  const weights = new Uint8Array(totalBytes);
  const view = new DataView(weights.buffer);
  const entries: z.infer<typeof TensorEntry>[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    // DataView with an explicit little-endian flag: the file means the same on any machine.
    for (let index = 0; index < tensor.values.length; index++) {
      view.setFloat32(offset + index * 4, tensor.values[index] as number, true);
    }
    entries.push({
      name: tensor.name,
      shape: tensor.shape,
      dtype: 'float32',
      offset,
      bytes: tensor.values.length * 4,
    });
    offset += tensor.values.length * 4;
  }
  const stored = await artifacts.put(weightsKeyOf(manifestKey), weights);
  const manifest: CheckpointManifest = {
    format: checkpointFormat,
    formatVersion: checkpointFormatVersion,
    config: input.model.config,
    tokenizer: input.tokenizer.toJSON(),
    weights: { file: weightsFileName, bytes: stored.bytes, sha256: stored.sha256, tensors: entries },
    training: input.training ?? {},
    createdAt: new Date().toISOString(),
  };
  const written = await artifacts.put(manifestKey, `${JSON.stringify(manifest)}\n`);
  return { key: manifestKey, sha256: written.sha256, bytes: written.bytes + stored.bytes };
}

/**
 * Reads and verifies a checkpoint: the manifest against its schema (and `expectedSha256`, when the
 * registry knows it), the weights against their size and sha256, the tensor table against the
 * shapes the config implies. Any mismatch is a ValidationError naming the checkpoint and the fault.
 */
export async function loadCheckpoint(
  artifacts: ArtifactStore,
  key: string,
  options: { expectedSha256?: string } = {},
): Promise<LoadedCheckpoint> {
  const manifestKey = manifestKeyOf(key);
  const fail = (problem: string, cause?: unknown) =>
    new ValidationError(`checkpoint ${manifestKey} is not usable: ${problem}`, { cause });
  const manifestBytes = await readArtifact(artifacts, manifestKey, 'manifest');
  if (options.expectedSha256 && sha256(manifestBytes) !== options.expectedSha256) {
    throw fail(
      `manifest sha256 ${sha256(manifestBytes)} differs from the registered ${options.expectedSha256}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch (error) {
    throw fail(`manifest is not JSON (${errorMessage(error)})`, error);
  }
  const parsed = CheckpointManifest.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw fail(`manifest is invalid: ${problems.join('; ')}`);
  }
  const manifest = parsed.data;

  const weights = await readArtifact(artifacts, weightsKeyOf(manifestKey), 'weights');
  if (weights.byteLength !== manifest.weights.bytes) {
    throw fail(
      `weights.bin has ${weights.byteLength} bytes, the manifest says ${manifest.weights.bytes} (truncated?)`,
    );
  }
  const actualHash = sha256(weights);
  if (actualHash !== manifest.weights.sha256) {
    throw fail(
      `weights.bin sha256 ${actualHash} differs from the manifest's ${manifest.weights.sha256} (corrupted?)`,
    );
  }

  let tokenizer: BpeTokenizer;
  try {
    tokenizer = BpeTokenizer.fromJSON(manifest.tokenizer);
  } catch (error) {
    throw fail(`tokenizer is invalid (${errorMessage(error)})`, error);
  }
  if (tokenizer.vocabSize !== manifest.config.vocabSize) {
    throw fail(`tokenizer has ${tokenizer.vocabSize} tokens, the model ${manifest.config.vocabSize}`);
  }
  const values = readTensors(manifest, weights, fail);
  return { model: TransformerModel.fromWeights(manifest.config, values), tokenizer, manifest };
}

function readTensors(
  manifest: CheckpointManifest,
  weights: Uint8Array,
  fail: (problem: string) => ValidationError,
): Map<string, Float32Array> {
  const entries = new Map(manifest.weights.tensors.map((entry) => [entry.name, entry]));
  const expected = weightSpecs(manifest.config);
  const missing = expected.filter((spec) => !entries.has(spec.name)).map((spec) => spec.name);
  const unknown = [...entries.keys()].filter((name) => !expected.some((spec) => spec.name === name));
  if (missing.length > 0 || unknown.length > 0) {
    throw fail(
      `tensor table does not match the config (missing: ${missing.join(', ') || 'none'}; unknown: ${unknown.join(', ') || 'none'})`,
    );
  }
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  const values = new Map<string, Float32Array>();
  for (const spec of expected) {
    const entry = entries.get(spec.name) as z.infer<typeof TensorEntry>;
    const size = spec.shape.reduce((product, dimension) => product * dimension, 1);
    if (entry.shape.join('x') !== spec.shape.join('x') || entry.bytes !== size * 4) {
      throw fail(
        `tensor ${spec.name} is ${entry.shape.join('×')} (${entry.bytes} bytes), expected ${spec.shape.join('×')}`,
      );
    }
    if (entry.offset + entry.bytes > weights.byteLength) {
      throw fail(`tensor ${spec.name} runs past the end of weights.bin`);
    }
    const data = new Float32Array(size);
    for (let index = 0; index < size; index++) data[index] = view.getFloat32(entry.offset + index * 4, true);
    values.set(spec.name, data);
  }
  return values;
}

async function readArtifact(artifacts: ArtifactStore, key: string, what: string): Promise<Uint8Array> {
  try {
    return await artifacts.get(key);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(`checkpoint ${what} ${key} not found`, { cause: error });
    throw error;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
