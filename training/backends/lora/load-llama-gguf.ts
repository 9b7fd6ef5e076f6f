import { ggufMetadataValues } from '../../../core/models/gguf/read-gguf-header.ts';
import { readGgufTensors } from '../../../core/models/gguf/read-gguf-tensors.ts';
import { parseLlamaConfig } from './llama-config.ts';
import { LlamaModel, type LlamaModelOptions } from './llama-model.ts';

/**
 * A llama GGUF file as a LlamaModel: the shape from its metadata, every weight dequantised to
 * float32 one tensor at a time (SmolLM2-135M: 540 MB in tfjs, with no second copy held in
 * JavaScript while it loads).
 */
export async function loadLlamaGguf(path: string, options: LlamaModelOptions = {}): Promise<LlamaModel> {
  const file = await readGgufTensors(path);
  try {
    const config = parseLlamaConfig(ggufMetadataValues(file.metadata));
    return await LlamaModel.load(
      config,
      {
        names: file.tensors.map(({ name }) => name),
        read: async (name) => {
          const description = file.tensors.find((tensor) => tensor.name === name);
          return { dimensions: description?.dimensions ?? [], values: await file.loadTensor(name) };
        },
      },
      options,
    );
  } finally {
    await file.close();
  }
}
