import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FLOAT,
  INT64,
  node,
  intAttribute,
  floatTensor,
  int64Tensor,
  valueInfo,
  varintField,
  bytesField,
  stringField,
  message,
} from './onnx-protobuf.ts';
import { writeBertTokenizer } from './write-bert-tokenizer.ts';
import { createSeededRandom } from '../../../local-model/seeded-random.ts';

/**
 * Writes a tiny but real BERT-shaped model folder (config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx) that transformers.js loads like any exported
 * Hugging Face model. Tests and benchmarks use it because no real weights can be downloaded.
 *
 * The graph: token vectors from an embedding table, plus the masked mean of the sentence's token
 * vectors (so the [CLS] position also depends on the whole text), through a small dense layer and
 * tanh, zeroed at padding. A bag of words, so texts sharing words land close together.
 */
export interface TinyModelOptions {
  /** Width of last_hidden_state. */
  hidden?: number;
  /** Seed of the weights; another seed gives another model.onnx (and so another embedder id). */
  seed?: number;
  /** Also write onnx/model_quantized.onnx (same float graph, other seed) for `quantized: true`. */
  quantized?: boolean;
}

export const tinyModelVocabulary: readonly string[] = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  ...". , ! ? ' - : ;".split(' '),
  ...[
    'the',
    'a',
    'an',
    'cat',
    'cats',
    'dog',
    'dogs',
    'sat',
    'sits',
    'on',
    'mat',
    'ran',
    'in',
    'park',
    'quantum',
    'physics',
    'is',
    'are',
    'hard',
    'easy',
    'i',
    'you',
    'we',
    'love',
    'like',
    'writing',
    'write',
    'code',
    'type',
    '##script',
    'every',
    'day',
    'hello',
    'world',
    'embed',
    '##ding',
    '##s',
    'vector',
    'vectors',
    'text',
    'texts',
    'and',
    'of',
    'to',
    'for',
    'with',
    'model',
    'models',
    'small',
    'large',
    'language',
    'search',
    'feature',
    'store',
    'training',
    'inference',
    'pipeline',
    'data',
    'rust',
    'go',
    'python',
    'fast',
    'slow',
    'bread',
    'bake',
    'oven',
    'warm',
    'loyal',
    'animals',
    'sentence',
    'number',
    'about',
    'topic',
    'words',
    'more',
    'some',
    'here',
  ],
];

export async function writeTinyOnnxModel(folder: string, options: TinyModelOptions = {}): Promise<string> {
  const hidden = options.hidden ?? 8;
  const seed = options.seed ?? 1;
  await mkdir(join(folder, 'onnx'), { recursive: true });
  await writeFile(join(folder, 'onnx', 'model.onnx'), encodeTinyModel(hidden, seed));
  if (options.quantized) {
    await writeFile(join(folder, 'onnx', 'model_quantized.onnx'), encodeTinyModel(hidden, seed + 1000));
  }
  await writeFile(
    join(folder, 'config.json'),
    JSON.stringify(
      {
        architectures: ['BertModel'],
        model_type: 'bert',
        hidden_size: hidden,
        vocab_size: tinyModelVocabulary.length,
        max_position_embeddings: 64,
        num_attention_heads: 1,
        num_hidden_layers: 1,
        pad_token_id: 0,
      },
      null,
      2,
    ),
  );
  await writeBertTokenizer(folder, tinyModelVocabulary, 64);
  return folder;
}

// ---- ONNX protobuf, hand-encoded: only the handful of messages and fields the graph needs ----

function encodeTinyModel(hidden: number, seed: number): Uint8Array {
  // Seeded, so the fixture model (and its hash) is the same on every run.
  const random = createSeededRandom(seed).next;
  const vocabularySize = tinyModelVocabulary.length;
  const embeddings = Float32Array.from({ length: vocabularySize * hidden }, () => random() * 2 - 1);
  // Scaled so tanh stays in its responsive range.
  const weight = Float32Array.from({ length: hidden * hidden }, () => (random() * 2 - 1) / Math.sqrt(hidden));
  const dynamic = ['batch_size', 'sequence_length'];

  const graph = message([
    ...[
      node('Gather', ['embeddings', 'input_ids'], ['token_vectors']),
      node('Cast', ['attention_mask'], ['mask_float'], [intAttribute('to', FLOAT)]),
      node('Unsqueeze', ['mask_float', 'last_axis'], ['mask_column']),
      node('Mul', ['token_vectors', 'mask_column'], ['masked_vectors']),
      node('ReduceSum', ['masked_vectors', 'sequence_axis'], ['vector_sum']),
      node('ReduceSum', ['mask_column', 'sequence_axis'], ['token_count']),
      node('Div', ['vector_sum', 'token_count'], ['context']),
      node('Add', ['token_vectors', 'context'], ['mixed']),
      node('MatMul', ['mixed', 'weight'], ['projected']),
      node('Tanh', ['projected'], ['activated']),
      node('Mul', ['activated', 'mask_column'], ['last_hidden_state']),
    ].map((encoded) => bytesField(1, encoded)),
    stringField(2, 'tiny_bert'),
    bytesField(5, floatTensor('embeddings', [vocabularySize, hidden], embeddings)),
    bytesField(5, floatTensor('weight', [hidden, hidden], weight)),
    bytesField(5, int64Tensor('last_axis', [2])),
    bytesField(5, int64Tensor('sequence_axis', [1])),
    bytesField(11, valueInfo('input_ids', INT64, dynamic)),
    bytesField(11, valueInfo('attention_mask', INT64, dynamic)),
    bytesField(12, valueInfo('last_hidden_state', FLOAT, [...dynamic, hidden])),
  ]);

  return message([
    varintField(1, 8), // ir_version
    stringField(2, 'llm-twin-tests'),
    bytesField(7, graph),
    bytesField(8, message([stringField(1, ''), varintField(2, 17)])), // opset_import: ai.onnx 17
  ]);
}
